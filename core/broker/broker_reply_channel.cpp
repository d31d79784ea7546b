#include "broker/broker_reply_channel.hpp"

#include <Poco/Logger.h>

#include <charconv>

namespace flowgate::broker {

namespace {

// A reply as a message: the status and each header in message headers, the body as is
// (it may be any bytes).
const char* const kStatus = "flowgate-reply-status";
const std::string kHeaderPrefix = "flowgate-reply-header:";

BrokerMessage encodeReply(const std::string& executionId, const HttpReply& reply) {
    BrokerMessage message;
    message.messageId = executionId + "/reply";
    message.correlationId = executionId;
    message.body = reply.body;
    message.headers.emplace_back(kStatus, std::to_string(reply.status));
    for (const auto& [name, value] : reply.headers)
        message.headers.emplace_back(kHeaderPrefix + name, value);
    return message;
}

std::optional<HttpReply> decodeReply(const BrokerMessage& message) {
    const auto status = message.header(kStatus);
    if (!status) return std::nullopt;
    HttpReply reply;
    const auto parsed =
        std::from_chars(status->data(), status->data() + status->size(), reply.status);
    if (parsed.ec != std::errc()) return std::nullopt;
    for (const auto& [key, value] : message.headers)
        if (key.rfind(kHeaderPrefix, 0) == 0)
            reply.headers[key.substr(kHeaderPrefix.size())] = value;
    reply.body = message.body;
    return reply;
}

}  // namespace

BrokerReplyChannel::BrokerReplyChannel(AmqpLink& link, std::string replyQueue,
                                       ReplyQueueOf replyQueueOf)
    : link_(link),
      replyQueueOf_(std::move(replyQueueOf)),
      local_(reply::makeInProcessReplyChannel()) {
    if (!replyQueue.empty())
        link_.consume(std::move(replyQueue), 256,
                      [this](Delivery delivery) { onReply(std::move(delivery)); });
}

std::unique_ptr<reply::ReplyWaiter> BrokerReplyChannel::expect(const std::string& executionId) {
    return local_->expect(executionId);
}

void BrokerReplyChannel::deliver(const std::string& executionId, HttpReply reply) {
    const auto queue = replyQueueOf_(executionId);
    if (!queue) return;  // an async flow, or an item this process does not hold
    Publication publication;
    publication.routingKey = *queue;
    publication.message = encodeReply(executionId, reply);
    link_.publish({std::move(publication)}, [executionId](std::exception_ptr error) {
        if (!error) return;
        try {
            std::rethrow_exception(error);
        } catch (const std::exception& e) {
            // Returned when the ingress is gone with its queue: nobody waits any more.
            static Poco::Logger& log = Poco::Logger::get("flowgate.broker");
            log.information("the reply to " + executionId + " was not delivered: " + e.what());
        }
    });
}

void BrokerReplyChannel::onReply(Delivery delivery) {
    if (auto reply = decodeReply(delivery.message))
        local_->deliver(delivery.message.correlationId, std::move(*reply));
    link_.ack(delivery.ref);
}

}  // namespace flowgate::broker
