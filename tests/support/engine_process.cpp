#include "support/engine_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <regex>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <stdexcept>
#include <thread>

namespace flowgate::test {

namespace fs = std::filesystem;

int freePort() {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    return socket.address().port();
}

std::vector<fs::path> allPluginDirs() {
    return {FLOWGATE_PLUGIN_DIR, FLOWGATE_TEST_PLUGIN_DIR};
}

EngineProcess::EngineProcess(const fs::path& configDir, const std::vector<fs::path>& pluginDirs,
                             const fs::path& logFile, int port, int adminPort,
                             const std::vector<std::string>& extraArgs) {
    std::vector<std::string> args = {FLOWGATE_BINARY,    "run",    "--config",
                                     configDir.string(), "--port", std::to_string(port),
                                     "--admin-port",     std::to_string(adminPort)};
    for (const auto& dir : pluginDirs) {
        args.push_back("--plugins");
        args.push_back(dir.string());
    }
    args.insert(args.end(), extraArgs.begin(), extraArgs.end());
    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe failed");
    const int log = ::open(logFile.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    pid_ = fork();
    if (pid_ == 0) {
        setpgid(0, 0);  // a group of its own, so kill9() ends every process of the engine
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

    // Read stdout until the banner is complete (the process prints it at once).
    std::string text;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    static const std::regex listening(R"(listening on https?://[^:]+:(\d+))");
    static const std::regex admin(R"(admin on http://[^:]+:(\d+))");
    std::smatch match;
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
        if (port_ != 0 && adminPort_ != 0) {
            // Give the rest of the banner a moment to arrive.
            pollfd more{out[0], POLLIN, 0};
            if (poll(&more, 1, 50) <= 0) break;
        }
    }
    ::close(out[0]);
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
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    while (true) {
        const pid_t r = waitpid(pid_, &status, WNOHANG);
        if (r == pid_) break;
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid_, SIGKILL);
            waitpid(pid_, &status, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
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
