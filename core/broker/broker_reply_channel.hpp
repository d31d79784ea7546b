// Sync replies across machines. The ingress where the caller waits consumes an exclusive
// reply queue of its own, and every item it publishes names that queue (reply-to) with
// the execution id as correlation id; the outputs of a step carry both on. A worker
// process's http-reply reaches its host's channel, which publishes the reply to the queue
// the item named; the ingress hands it to the waiting request.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "broker/amqp_link.hpp"
#include "reply/reply_channel.hpp"

namespace flowgate::broker {

class BrokerReplyChannel final : public reply::ReplyChannel {
public:
    // Where a reply for an execution goes (BrokerQueue::replyQueueOf), nullopt if unknown.
    using ReplyQueueOf = std::function<std::optional<std::string>(const std::string& executionId)>;

    // `link` must outlive the channel. A process that takes calls passes its reply queue
    // (declared in the link's topology) and consumes it; a worker host passes "".
    BrokerReplyChannel(AmqpLink& link, std::string replyQueue, ReplyQueueOf replyQueueOf);

    // Callers wait here, in the ingress.
    std::unique_ptr<reply::ReplyWaiter> expect(const std::string& executionId) override;
    // From a worker: published to the caller's ingress. Not confirmed: a reply that is
    // lost (its ingress died) leaves the caller to its timeout, as in the embedded mode.
    void deliver(const std::string& executionId, HttpReply reply) override;

private:
    void onReply(Delivery delivery);

    AmqpLink& link_;
    const ReplyQueueOf replyQueueOf_;
    std::unique_ptr<reply::ReplyChannel> local_;  // the waiting requests of this process
};

}  // namespace flowgate::broker
