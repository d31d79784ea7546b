#include "support/role_process.hpp"
#include "support/build_paths.hpp"

#include <signal.h>
#include <unistd.h>

#include <regex>
#include <stdexcept>

#include "support/engine_process.hpp"
#include "support/process_group.hpp"

namespace flowgate::test {

namespace fs = std::filesystem;

RoleProcess::RoleProcess(const std::string& command, const fs::path& configDir,
                         const fs::path& dataDir, const fs::path& logFile, int port) {
    std::vector<std::string> args = {flowgate::test::paths::binary,
                                     command,
                                     "--config",
                                     configDir.string(),
                                     "--data",
                                     dataDir.string(),
                                     "--port",
                                     std::to_string(port),
                                     "--admin-port",
                                     "0"};
    for (const auto& dir : allPluginDirs()) {
        args.push_back("--plugins");
        args.push_back(dir.string());
    }
    const auto child = startInOwnGroup(std::move(args), logFile);
    pid_ = child.pid;

    const bool ingress = command == "ingress";
    static const std::regex listening(R"(listening on https?://[^:]+:(\d+))");
    static const std::regex admin(R"(admin on http://[^:]+:(\d+))");
    std::smatch match;
    readBanner(child.stdoutFd, std::chrono::seconds(60), [&](const std::string& sofar) {
        if (port_ == 0 && std::regex_search(sofar, match, listening)) port_ = std::stoi(match[1]);
        if (adminPort_ == 0 && std::regex_search(sofar, match, admin))
            adminPort_ = std::stoi(match[1]);
        return adminPort_ != 0 && (port_ != 0 || !ingress);
    });
    ::close(child.stdoutFd);
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
    const int status = test::waitForExit(pid_, timeout);
    pid_ = -1;
    return status;
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
