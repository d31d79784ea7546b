// One process of a distributed engine for end-to-end tests: `flowgate ingress` or
// `flowgate worker` as a child, in a process group of its own (kill9() ends it and the
// processes it started, as a machine that dies would).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace flowgate::test {

class RoleProcess {
public:
    // Starts `flowgate <command> --config <configDir> --data <dataDir> --port <port>
    // --admin-port 0 --plugins …` and waits (up to 60 s) for its admin line (and, for an
    // ingress, its listening line). Its stderr is appended to `logFile`.
    RoleProcess(const std::string& command, const std::filesystem::path& configDir,
                const std::filesystem::path& dataDir, const std::filesystem::path& logFile,
                int port = 0);
    ~RoleProcess();  // kill -9 if still running
    RoleProcess(const RoleProcess&) = delete;
    RoleProcess& operator=(const RoleProcess&) = delete;

    int port() const { return port_; }  // the webhook port (an ingress), else 0
    int adminPort() const { return adminPort_; }
    pid_t pid() const { return pid_; }
    bool running() const { return pid_ > 0; }

    // SIGTERM and wait; the exit status (128+signal when killed).
    int terminate(std::chrono::seconds timeout = std::chrono::seconds(30));
    void kill9();

private:
    int waitForExit(std::chrono::seconds timeout);

    pid_t pid_ = -1;
    int port_ = 0;
    int adminPort_ = 0;
};

}  // namespace flowgate::test
