// The real `flowgate run` as a child process, for end-to-end tests: started on port 0
// with a test's config directory, stopped with SIGTERM or killed with SIGKILL.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace flowgate::test {

class EngineProcess {
public:
    // Starts the engine and waits (up to 30 s) until it prints its listening address.
    // Its stderr (the engine log) goes to `logFile`. Throws if it does not come up.
    // `port` 0: any free port (see port()). `extraArgs` go on `run`'s command line.
    EngineProcess(const std::filesystem::path& configDir,
                  const std::vector<std::filesystem::path>& pluginDirs,
                  const std::filesystem::path& logFile, int port = 0, int adminPort = 0,
                  const std::vector<std::string>& extraArgs = {});
    ~EngineProcess();  // SIGKILL if still running

    int port() const { return port_; }
    // The admin listener's port (`adminPort` given to the constructor, 0: any free port).
    int adminPort() const { return adminPort_; }
    // The admin token the engine generated into its data directory (loopback, no
    // admin.token configured), for `dataDir`.
    static std::string adminToken(const std::filesystem::path& dataDir);
    // The supervisor (`flowgate run`), leader of the engine's process group.
    pid_t pid() const { return pid_; }
    // The intake process the supervisor runs now (-1 if none), and its worker processes.
    pid_t intakePid() const;
    std::vector<pid_t> workerPids() const;
    // What the engine printed on stdout at start: the listening line, then one per flow.
    const std::vector<std::string>& banner() const { return banner_; }

    // SIGTERM, then waits; returns the exit status (or 128+signal).
    int terminate(std::chrono::seconds timeout = std::chrono::seconds(30));
    // SIGKILL to the whole process group: supervisor, intake and workers at once.
    void kill9();

private:
    int waitForExit(std::chrono::seconds timeout);

    pid_t pid_ = -1;
    int port_ = 0;
    int adminPort_ = 0;
    std::vector<std::string> banner_;
};

// The children of process `pid`, from /proc.
std::vector<pid_t> childrenOf(pid_t pid);

// A loopback port that was free a moment ago, for a config that must name its own port.
int freePort();

// Default plugin directories for tests: the build's plugins, then the test fixtures.
std::vector<std::filesystem::path> allPluginDirs();

// Polls `condition` every 20 ms until it holds or `timeout` passes; returns its last value.
template <class F>
bool eventually(F condition, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        if (condition()) return true;
        if (std::chrono::steady_clock::now() > deadline) return false;
        struct timespec ts {
            0, 20 * 1000 * 1000
        };
        nanosleep(&ts, nullptr);
    }
}

}  // namespace flowgate::test
