// What travels over the broker: a message as published, and as delivered to a consumer.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace flowgate::broker {

// The payload and the properties Flowgate uses. Every message is persistent.
struct BrokerMessage {
    std::string messageId;  // unique per work item; maps a basic.return to its publish
    std::string body;
    std::string replyTo;
    std::string correlationId;
    std::vector<std::pair<std::string, std::string>> headers;  // string-valued only

    // The value of header `name`, if present.
    std::optional<std::string> header(const std::string& name) const;
};

// A message to publish to `exchange` ("" is the default exchange, which routes to the
// queue named by `routingKey`). Published mandatory: a message no queue takes fails.
struct Publication {
    std::string exchange;
    std::string routingKey;
    BrokerMessage message;
};

// Identifies a delivery for ack/reject. Tags are only meaningful on the connection that
// delivered them: `session` counts connections, and an ack for an older one is dropped
// (the broker has requeued that delivery already when the connection died).
struct DeliveryRef {
    std::uint64_t session = 0;
    std::uint64_t tag = 0;
};

struct Delivery {
    DeliveryRef ref;
    std::string queue;  // the queue it was consumed from
    bool redelivered = false;
    // Earlier deliveries of this message that were not acked (quorum queues count them
    // in x-delivery-count; 0 on the first delivery).
    std::int64_t deliveryCount = 0;
    BrokerMessage message;
};

}  // namespace flowgate::broker
