#include "ipc/queue_service.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ipc/queue_wire.hpp"

namespace flowgate::ipc {

using nlohmann::json;

namespace {

// A take waits at most this long on the intake's side, so a worker that is told to stop
// hears back soon.
constexpr std::chrono::milliseconds kMaxTakeWait{1000};

}  // namespace

QueueService::QueueService(const std::filesystem::path& socketPath, queue::Queue& queue,
                           WorkerLedger& ledger, reply::ReplyChannel& replies,
                           runtime::RuntimeMetrics& metrics, std::chrono::milliseconds lease)
    : path_(socketPath),
      queue_(queue),
      ledger_(ledger),
      replies_(replies),
      metrics_(metrics),
      lease_(lease),
      logger_(Poco::Logger::get("flowgate.intake")) {
    listener_ = listenAt(path_);
    acceptor_ = std::thread([this] { acceptLoop(); });
}

QueueService::~QueueService() {
    stopping_ = true;
    ::shutdown(listener_, SHUT_RDWR);  // wakes accept()
    acceptor_.join();
    ::close(listener_);
    std::lock_guard lock(connectionsMutex_);
    for (auto& c : connections_) c.socket->shutdown();
    for (auto& c : connections_) c.thread.join();
    connections_.clear();
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
}

void QueueService::acceptLoop() {
    while (!stopping_) {
        const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (!stopping_)
                logger_.error("worker socket: accept failed: %s",
                              std::string(std::strerror(errno)));
            return;
        }
        std::lock_guard lock(connectionsMutex_);
        for (auto it = connections_.begin(); it != connections_.end();) {
            if (!it->done) {
                ++it;
                continue;
            }
            it->thread.join();
            it = connections_.erase(it);
        }
        auto& c = connections_.emplace_back();
        c.socket = std::make_unique<FrameSocket>(fd);
        c.thread = std::thread([this, &c] {
            serve(*c.socket);
            c.done = true;
        });
    }
}

void QueueService::serve(FrameSocket& socket) {
    const pid_t pid = socket.peerPid();
    if (!ledger_.attach(pid)) {
        logger_.warning(
            "worker socket: refused a connection from pid %d, not a worker of "
            "this engine",
            static_cast<int>(pid));
        return;
    }
    try {
        while (auto request = socket.receive()) {
            bool answer = true;
            json response = handle(pid, *request, answer);
            if (answer) socket.send(response);
        }
    } catch (const std::exception& e) {
        // The worker died mid-frame, or sent garbage: its supervisor takes over its items.
        if (!stopping_)
            logger_.warning("worker %d: link closed: %s", static_cast<int>(pid),
                            std::string(e.what()));
    }
    ledger_.detach(pid);
}

json QueueService::handle(pid_t pid, const json& request, bool& answer) {
    try {
        const std::string op = request.at("op").get<std::string>();
        if (op == "take") {
            const auto max = request.at("max").get<std::size_t>();
            const auto wait = std::min(
                std::chrono::milliseconds(request.at("waitMs").get<std::int64_t>()), kMaxTakeWait);
            auto items = queue_.take(max, lease_, wait);
            ledger_.leased(pid, items);
            return {{"items", wire::encodeItems(items)}};
        }
        if (op == "started") {
            answer = false;
            ledger_.started(
                pid, request.at("id").get<std::int64_t>(), request.at("token").get<std::uint64_t>(),
                std::chrono::milliseconds(request.at("deadlineMs").get<std::int64_t>()),
                request.value("step", std::string()));
            return {};
        }
        if (op == "settle") {
            ledger_.idle(pid);
            auto outcomes = wire::decodeOutcomes(request.at("outcomes"));
            queue_.settle(outcomes);
            metrics_.count(outcomes, ledger_.settled(pid, outcomes));
            return json::object();
        }
        if (op == "hasPending")
            return {{"pending", queue_.hasPending(request.at("execution").get<std::string>())}};
        if (op == "reply") {
            answer = false;
            replies_.deliver(request.at("execution").get<std::string>(),
                             wire::decodeReply(request.at("reply")));
            return {};
        }
        return {{"error", "unknown operation '" + op + "'"}};
    } catch (const std::exception& e) {
        return {{"error", e.what()}};
    }
}

void QueueService::settleForWorker(std::vector<queue::Outcome> outcomes,
                                   const std::vector<runtime::StepRun>& runs) {
    if (outcomes.empty()) return;
    queue_.settle(outcomes);
    metrics_.count(outcomes, runs);
}

}  // namespace flowgate::ipc
