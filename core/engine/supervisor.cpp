#include "engine/supervisor.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <thread>

#include <Poco/Logger.h>

#include "engine/child_process.hpp"

namespace flowgate::cli {

namespace {

// An intake that dies sooner than this after its start waits before the next start:
// 1 s, 2 s, ... up to kMaxDelay; one that ran longer starts again at once.
constexpr std::chrono::seconds kYoung{10};
constexpr std::chrono::seconds kMaxDelay{30};

void say(const std::string& text) {
    Poco::Logger::get("flowgate.run").error(text);
}

}  // namespace

int superviseIntake(const std::vector<std::string>& intakeArgs) {
    // Only this thread exists: block the signals and take them with sigtimedwait, so a
    // signal that arrives while the intake starts is never lost.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    sigaddset(&signals, SIGCHLD);
    sigprocmask(SIG_BLOCK, &signals, nullptr);

    int youngDeaths = 0;
    bool restarted = false;
    for (;;) {
        const auto startedAt = std::chrono::steady_clock::now();
        pid_t intake;
        try {
            intake = spawnSelf(intakeArgs);
        } catch (const std::exception& e) {
            say(std::string("cannot start the intake: ") + e.what());
            return 1;
        }
        bool stopping = false;
        int status = 0;
        for (;;) {
            const timespec tick{0, 200 * 1000 * 1000};
            const int signal = sigtimedwait(&signals, nullptr, &tick);
            if (signal == SIGTERM || signal == SIGINT) {
                stopping = true;
                ::kill(intake, signal);
            } else if (signal == SIGHUP) {
                ::kill(intake, SIGHUP);
            }
            if (::waitpid(intake, &status, WNOHANG) == intake) break;
        }
        if (stopping) return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
        // It ended by itself. At the first start an exit status is final (a config or data
        // directory that cannot start the engine); a crash, or anything after one, is not:
        // the crashed intake's last resources may still be letting go.
        if (WIFEXITED(status) && !restarted) return WEXITSTATUS(status);
        restarted = true;
        const bool young = std::chrono::steady_clock::now() - startedAt < kYoung;
        youngDeaths = young ? youngDeaths + 1 : 0;
        const auto delay =
            youngDeaths == 0
                ? std::chrono::seconds(0)
                : std::min<std::chrono::seconds>(
                      kMaxDelay, std::chrono::seconds(1 << std::min(youngDeaths - 1, 5)));
        say("the intake (pid " + std::to_string(intake) + ") " + describeExit(status) +
            "; starting it again in " + std::to_string(delay.count()) + " s");
        std::this_thread::sleep_for(delay);
    }
}

}  // namespace flowgate::cli
