#include "ipc/queue_client.hpp"

#include <thread>

#include "ipc/queue_wire.hpp"

namespace flowgate::ipc {

QueueClient::QueueClient(const std::filesystem::path& socketPath,
                         std::chrono::milliseconds patience, std::function<void()> onLost)
    : onLost_(std::move(onLost)) {
    const auto deadline = std::chrono::steady_clock::now() + patience;
    for (;;) {
        try {
            socket_ = std::make_unique<FrameSocket>(connectTo(socketPath));
            return;
        } catch (const LinkError&) {
            if (std::chrono::steady_clock::now() >= deadline) throw;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

template <class Decode>
auto QueueClient::ask(const std::string& request, Decode decode) {
    try {
        std::lock_guard lock(mutex_);
        if (lost_) throw LinkError("the link to the intake is closed");
        socket_->send(request);
        const auto answer = socket_->receive();
        if (!answer) throw LinkError("the intake closed the link");
        return decode(*answer);
    } catch (const LinkError&) {
        lose();
        throw;
    }
}

void QueueClient::tell(const std::string& request) {
    try {
        std::lock_guard lock(mutex_);
        if (lost_) throw LinkError("the link to the intake is closed");
        socket_->send(request);
    } catch (const LinkError&) {
        lose();
        throw;
    }
}

void QueueClient::lose() {
    if (!lost_.exchange(true) && onLost_) onLost_();
}

std::vector<queue::WorkItem> QueueClient::take(std::size_t max, std::chrono::milliseconds wait) {
    if (closed_) return {};
    return ask(wire::takeRequest(max, wait), wire::decodeTakeAnswer);
}

void QueueClient::settle(std::vector<queue::Outcome> outcomes) {
    ask(wire::settleRequest(outcomes), wire::decodeSettleAnswer);
}

std::vector<queue::WorkItem> QueueClient::settleAndTake(
    const std::vector<queue::Outcome>& outcomes, std::size_t max) {
    // After close() the outcomes still go in (the work is done), but nothing more is taken.
    return ask(wire::settleAndTakeRequest(outcomes, closed_ ? 0 : max), wire::decodeTakeAnswer);
}

bool QueueClient::hasPending(const std::string& executionId) {
    return ask(wire::hasPendingRequest(executionId), wire::decodeHasPendingAnswer);
}

void QueueClient::deliverReply(const std::string& executionId, const HttpReply& reply) {
    tell(wire::replyRequest(executionId, reply));
}

}  // namespace flowgate::ipc
