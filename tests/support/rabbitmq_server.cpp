#include "support/rabbitmq_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace flowgate::test {

namespace fs = std::filesystem;

namespace {

const char* const kServer = "/usr/lib/rabbitmq/bin/rabbitmq-server";
const char* const kCtl = "/usr/lib/rabbitmq/bin/rabbitmqctl";

int loopbackSocket() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("socket failed");
    return fd;
}

sockaddr_in loopback(int port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

int unusedPort() {
    const int fd = loopbackSocket();
    sockaddr_in address = loopback(0);
    socklen_t length = sizeof address;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot find a free port");
    }
    ::close(fd);
    return ntohs(address.sin_port);
}

// True when the node answers the AMQP protocol header with a frame (connection.start):
// the listener opens only once the broker has booted, and answering proves it serves.
bool answersAmqp(int port) {
    const int fd = loopbackSocket();
    sockaddr_in address = loopback(port);
    bool ok = false;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
        const char header[] = {'A', 'M', 'Q', 'P', 0, 0, 9, 1};
        if (::send(fd, header, sizeof header, MSG_NOSIGNAL) == sizeof header) {
            pollfd p{fd, POLLIN, 0};
            char frameType = 0;
            ok = ::poll(&p, 1, 2000) > 0 && ::recv(fd, &frameType, 1, 0) == 1 && frameType == 1;
        }
    }
    ::close(fd);
    return ok;
}

std::string uniqueNodeName() {
    static std::atomic<int> counter{0};
    return "flowgate-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) +
           "@localhost";
}

}  // namespace

bool RabbitMqServer::available() {
    return ::access(kServer, X_OK) == 0;
}

RabbitMqServer::RabbitMqServer(fs::path dir) : dir_(std::move(dir)), nodeName_(uniqueNodeName()) {
    fs::create_directories(dir_);
    // Only the broker's own plugins: the management UI would add seconds to every start.
    std::ofstream(dir_ / "enabled_plugins") << "[].\n";
    port_ = unusedPort();
    distPort_ = unusedPort();
    start();
}

RabbitMqServer::~RabbitMqServer() {
    if (pid_ > 0) kill9();
}

std::string RabbitMqServer::url() const {
    return "amqp://guest:guest@127.0.0.1:" + std::to_string(port_) + "/";
}

void RabbitMqServer::start() {
    if (pid_ > 0) throw std::logic_error("the broker is already running");
    std::vector<std::string> env = {
        "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
        // The Erlang cookie goes to $HOME; rabbitmqctl (ctl()) reads it from there too.
        "HOME=" + dir_.string(),
        "RABBITMQ_NODENAME=" + nodeName_,
        "RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
        "RABBITMQ_NODE_PORT=" + std::to_string(port_),
        "RABBITMQ_DIST_PORT=" + std::to_string(distPort_),
        "RABBITMQ_MNESIA_BASE=" + (dir_ / "mnesia").string(),
        "RABBITMQ_LOG_BASE=" + (dir_ / "log").string(),
        "RABBITMQ_ENABLED_PLUGINS_FILE=" + (dir_ / "enabled_plugins").string(),
        "RABBITMQ_CONFIG_FILE=" + (dir_ / "rabbitmq").string(),
        "RABBITMQ_ADVANCED_CONFIG_FILE=" + (dir_ / "advanced.config").string(),
        "RABBITMQ_CONF_ENV_FILE=" + (dir_ / "rabbitmq-env.conf").string(),
        "RABBITMQ_PID_FILE=" + (dir_ / "pid").string(),
        // Inter-node traffic on loopback only; epmd too when this node starts it.
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1}",
        "ERL_EPMD_ADDRESS=127.0.0.1",
    };
    const fs::path out = dir_ / "server.out";
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        ::setpgid(0, 0);  // a group of its own: kill9() ends the script and the VM together
        const int log = ::open(out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        ::dup2(log, STDOUT_FILENO);
        ::dup2(log, STDERR_FILENO);
        const int null = ::open("/dev/null", O_RDONLY);
        ::dup2(null, STDIN_FILENO);
        if (::chdir(dir_.c_str()) != 0) _exit(126);
        std::vector<char*> envp;
        for (auto& e : env) envp.push_back(e.data());
        envp.push_back(nullptr);
        char* argv[] = {const_cast<char*>(kServer), nullptr};
        ::execve(kServer, argv, envp.data());
        _exit(127);
    }
    ::setpgid(pid_, pid_);
    try {
        waitReady(std::chrono::seconds(120));
    } catch (...) {
        kill9();
        throw;
    }
}

void RabbitMqServer::waitReady(std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            throw std::runtime_error("rabbitmq-server exited at start:\n" + logTail());
        }
        if (answersAmqp(port_)) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    throw std::runtime_error("rabbitmq-server did not come up in time:\n" + logTail());
}

void RabbitMqServer::kill9() {
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    // The VM is in the group but not our child: wait until its port is closed.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (answersAmqp(port_) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

void RabbitMqServer::pause() {
    if (pid_ > 0) ::kill(-pid_, SIGSTOP);
}

void RabbitMqServer::resume() {
    if (pid_ > 0) ::kill(-pid_, SIGCONT);
}

std::string RabbitMqServer::ctl(const std::string& args) const {
    const std::string command =
        "HOME='" + dir_.string() + "' " + kCtl + " -n " + nodeName_ + " -q " + args + " 2>&1";
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) throw std::runtime_error("popen failed");
    std::string output;
    std::array<char, 4096> buffer{};
    std::size_t n = 0;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
        output.append(buffer.data(), n);
    const int status = ::pclose(pipe);
    if (status != 0) throw std::runtime_error("rabbitmqctl " + args + " failed: " + output);
    return output;
}

std::string RabbitMqServer::logTail() const {
    std::ostringstream text;
    for (const auto& file : {dir_ / "server.out", dir_ / "log" / (nodeName_ + ".log")}) {
        std::ifstream in(file);
        std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        text << "== " << file.string() << "\n"
             << all.substr(all.size() > 3000 ? all.size() - 3000 : 0);
    }
    return text.str();
}

}  // namespace flowgate::test
