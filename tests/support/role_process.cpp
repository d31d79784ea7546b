#include "support/role_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <regex>
#include <stdexcept>
#include <thread>

#include "support/engine_process.hpp"

namespace flowgate::test {

namespace fs = std::filesystem;

RoleProcess::RoleProcess(const std::string& command, const fs::path& configDir,
                         const fs::path& dataDir, const fs::path& logFile, int port) {
    std::vector<std::string> args = {
        FLOWGATE_BINARY,  command,  "--config",           configDir.string(), "--data",
        dataDir.string(), "--port", std::to_string(port), "--admin-port",     "0"};
    for (const auto& dir : allPluginDirs()) {
        args.push_back("--plugins");
        args.push_back(dir.string());
    }
    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe failed");
    const int log = ::open(logFile.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    pid_ = fork();
    if (pid_ == 0) {
        setpgid(0, 0);
        dup2(out[1], STDOUT_FILENO);
        dup2(log, STDERR_FILENO);
        ::close(out[0]);
        ::close(out[1]);
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    ::close(out[1]);
    ::close(log);

    const bool ingress = command == "ingress";
    static const std::regex listening(R"(listening on https?://[^:]+:(\d+))");
    static const std::regex admin(R"(admin on http://[^:]+:(\d+))");
    std::string text;
    std::smatch match;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{out[0], POLLIN, 0};
        if (poll(&p, 1, 100) > 0) {
            char buf[4096];
            const ssize_t n = ::read(out[0], buf, sizeof buf);
            if (n <= 0) break;  // exited
            text.append(buf, static_cast<std::size_t>(n));
        }
        if (port_ == 0 && std::regex_search(text, match, listening)) port_ = std::stoi(match[1]);
        if (adminPort_ == 0 && std::regex_search(text, match, admin))
            adminPort_ = std::stoi(match[1]);
        if (adminPort_ != 0 && (port_ != 0 || !ingress)) break;
    }
    ::close(out[0]);
    if (adminPort_ == 0 || (ingress && port_ == 0)) {
        kill9();
        throw std::runtime_error("flowgate " + command + " did not start; its log is " +
                                 logFile.string());
    }
}

RoleProcess::~RoleProcess() {
    if (pid_ > 0) kill9();
}

int RoleProcess::waitForExit(std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (true) {
        if (waitpid(pid_, &status, WNOHANG) == pid_) break;
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(-pid_, SIGKILL);
            waitpid(pid_, &status, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int RoleProcess::terminate(std::chrono::seconds timeout) {
    ::kill(pid_, SIGTERM);
    return waitForExit(timeout);
}

void RoleProcess::kill9() {
    ::kill(-pid_, SIGKILL);
    waitForExit(std::chrono::seconds(10));
}

}  // namespace flowgate::test
