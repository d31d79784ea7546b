#include "support/engine_process.hpp"
#include "support/build_paths.hpp"

#include <signal.h>
#include <unistd.h>

#include <fstream>
#include <regex>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include "support/process_group.hpp"
#include <stdexcept>

namespace flowgate::test {

namespace fs = std::filesystem;

int freePort() {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    return socket.address().port();
}

std::vector<fs::path> allPluginDirs() {
    return {flowgate::test::paths::pluginDir, flowgate::test::paths::testPluginDir};
}

EngineProcess::EngineProcess(const fs::path& configDir, const std::vector<fs::path>& pluginDirs,
                             const fs::path& logFile, int port, int adminPort,
                             const std::vector<std::string>& extraArgs) {
    std::vector<std::string> args = {flowgate::test::paths::binary,
                                     "run",
                                     "--config",
                                     configDir.string(),
                                     "--port",
                                     std::to_string(port),
                                     "--admin-port",
                                     std::to_string(adminPort)};
    for (const auto& dir : pluginDirs) {
        args.push_back("--plugins");
        args.push_back(dir.string());
    }
    args.insert(args.end(), extraArgs.begin(), extraArgs.end());
    // A group of its own, so kill9() ends every process of the engine.
    const auto child = startInOwnGroup(std::move(args), logFile);
    pid_ = child.pid;

    static const std::regex listening(R"(listening on https?://[^:]+:(\d+))");
    static const std::regex admin(R"(admin on http://[^:]+:(\d+))");
    std::smatch match;
    const std::string text =
        readBanner(child.stdoutFd, std::chrono::seconds(30), [&](const std::string& sofar) {
            if (port_ == 0 && std::regex_search(sofar, match, listening))
                port_ = std::stoi(match[1]);
            if (adminPort_ == 0 && std::regex_search(sofar, match, admin))
                adminPort_ = std::stoi(match[1]);
            return port_ != 0 && adminPort_ != 0;
        });
    ::close(child.stdoutFd);
    if (port_ == 0) {
        kill9();
        throw std::runtime_error("engine did not start; its log is " + logFile.string());
    }
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = text.find('\n', start);
        banner_.push_back(text.substr(start, end - start));
        if (end == std::string::npos) break;
        start = end + 1;
    }
}

std::string EngineProcess::adminToken(const fs::path& dataDir) {
    std::ifstream in(dataDir / "admin-token");
    std::string token;
    std::getline(in, token);
    return token;
}

EngineProcess::~EngineProcess() {
    if (pid_ > 0) kill9();
}

int EngineProcess::waitForExit(std::chrono::seconds timeout) {
    const int status = test::waitForExit(pid_, timeout);
    pid_ = -1;
    return status;
}

int EngineProcess::terminate(std::chrono::seconds timeout) {
    ::kill(pid_, SIGTERM);
    return waitForExit(timeout);
}

std::vector<pid_t> childrenOf(pid_t pid) {
    // Per thread: the intake starts its workers from a thread of their own.
    std::vector<pid_t> children;
    std::error_code ec;
    for (const auto& task : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
        std::ifstream in(task.path() / "children");
        for (pid_t child; in >> child;) children.push_back(child);
    }
    return children;
}

pid_t EngineProcess::intakePid() const {
    const auto children = childrenOf(pid_);
    return children.empty() ? -1 : children.front();
}

std::vector<pid_t> EngineProcess::workerPids() const {
    const pid_t intake = intakePid();
    return intake > 0 ? childrenOf(intake) : std::vector<pid_t>{};
}

void EngineProcess::kill9() {
    ::kill(-pid_, SIGKILL);
    waitForExit(std::chrono::seconds(10));
}

}  // namespace flowgate::test
