#include "ipc/queue_service.hpp"

#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "flowgate/common/thread_priority.hpp"
#include "ipc/queue_wire.hpp"

namespace flowgate::ipc {

namespace {

// A take waits at most this long on the intake's side, so a worker that is told to stop
// hears back soon.
constexpr std::chrono::milliseconds kMaxTakeWait{1000};

}  // namespace

QueueService::QueueService(const std::filesystem::path& socketPath, queue::Queue& queue,
                           WorkerLedger& ledger, reply::ReplyChannel& replies,
                           runtime::RuntimeMetrics& metrics, std::chrono::milliseconds lease,
                           int linkNice)
    : path_(socketPath),
      queue_(queue),
      ledger_(ledger),
      replies_(replies),
      metrics_(metrics),
      lease_(lease),
      linkNice_(linkNice),
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
    pthread_setname_np(pthread_self(), "fg-link-accept");  // for top -H and profiles
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
            pthread_setname_np(pthread_self(), "fg-link");  // one per worker process
            common::runThisThreadNicer(linkNice_);
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
        while (auto frame = socket.receive()) {
            // Decoded whole before anything is applied: a malformed frame throws
            // LinkError here and closes the link.
            auto request = wire::decodeRequest(*frame);
            if (auto answer = handle(pid, request)) socket.send(*answer);
        }
    } catch (const std::exception& e) {
        // The worker died mid-frame, or sent garbage: its supervisor takes over its items.
        if (!stopping_)
            logger_.warning("worker %d: link closed: %s", static_cast<int>(pid),
                            std::string(e.what()));
    }
    // The worker may be waiting for an answer: it hears the link is gone now, not when
    // the accept loop next reaps this connection.
    socket.shutdown();
    ledger_.detach(pid);
}

std::optional<std::string> QueueService::handle(pid_t pid, wire::Request& request) {
    try {
        if (auto* take = std::get_if<wire::Take>(&request)) {
            auto items = queue_.take(take->max, lease_, std::min(take->wait, kMaxTakeWait));
            // Encoded first, so the ledger can have the items without copying messages.
            auto answer = wire::takeAnswer(items);
            ledger_.leased(pid, std::move(items));
            return answer;
        }
        if (auto* settle = std::get_if<wire::Settle>(&request)) {
            queue_.settle(settle->outcomes);
            metrics_.count(settle->outcomes, ledger_.settled(pid, settle->outcomes));
            return wire::settleAnswer();
        }
        if (auto* fused = std::get_if<wire::SettleAndTake>(&request)) {
            auto items = queue_.settleAndTake(fused->outcomes, fused->max, lease_);
            metrics_.count(fused->outcomes, ledger_.settled(pid, fused->outcomes));
            auto answer = wire::takeAnswer(items);
            ledger_.leased(pid, std::move(items));
            return answer;
        }
        if (auto* pending = std::get_if<wire::HasPending>(&request))
            return wire::hasPendingAnswer(queue_.hasPending(pending->executionId));
        auto& deliver = std::get<wire::DeliverReply>(request);
        replies_.deliver(deliver.executionId, std::move(deliver.reply));
        return std::nullopt;
    } catch (const std::exception& e) {
        // The worker hears of a refusal only where it waits for an answer.
        if (!wire::answered(request)) return std::nullopt;
        return wire::errorAnswer(e.what());
    }
}

void QueueService::settleForWorker(std::vector<queue::Outcome> outcomes,
                                   const std::vector<runtime::StepRun>& runs) {
    if (outcomes.empty()) return;
    queue_.settle(outcomes);
    metrics_.count(outcomes, runs);
}

}  // namespace flowgate::ipc
