// The reply channel as a worker process sees it: replies go to the intake, where the
// callers wait (an InProcessReplyChannel there hands each to its request).
#pragma once

#include "ipc/queue_client.hpp"
#include "reply/reply_channel.hpp"

namespace flowgate::ipc {

class RemoteReplyChannel final : public reply::ReplyChannel {
public:
    explicit RemoteReplyChannel(QueueClient& client) : client_(client) {}

    // Callers wait in the intake, never in a worker.
    std::unique_ptr<reply::ReplyWaiter> expect(const std::string&) override {
        throw std::logic_error("sync callers wait in the intake process, not in a worker");
    }
    void deliver(const std::string& executionId, HttpReply reply) override {
        client_.deliverReply(executionId, reply);
    }

private:
    QueueClient& client_;
};

}  // namespace flowgate::ipc
