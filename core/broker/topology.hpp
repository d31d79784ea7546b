// The exchanges, queues and bindings a link needs, declared on every connection (a
// declaration is idempotent) and then verified with passive declares before the link
// reports itself ready: a queue declared just before a broker crash can come back
// missing (PLATFORM.md), and traffic must not be accepted into a queue that is not there.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace flowgate::broker {

struct QueueSpec {
    std::string name;
    // Quorum queues are replicated and fsync their log before confirming; classic is for
    // the exclusive, per-connection queues (sync replies) only.
    bool quorum = true;
    bool exclusive = false;  // classic only: deleted with the connection that declared it
    std::optional<std::int64_t> messageTtlMs;   // x-message-ttl
    std::optional<std::int64_t> deliveryLimit;  // x-delivery-limit (quorum): poison net
    std::optional<std::string> deadLetterExchange;
    // Quorum dead-lettering is at-most-once unless the queue refuses publishes when full
    // and dead-letters at-least-once (x-dead-letter-strategy, RabbitMQ 3.10).
    bool atLeastOnceDeadLettering = false;
};

struct ExchangeSpec {
    std::string name;
    std::string type;  // "direct", "topic", "headers", "fanout"
};

struct BindingSpec {
    std::string queue;
    std::string exchange;
    std::string routingKey;
    // For a headers exchange: every pair must match (x-match all).
    std::vector<std::pair<std::string, std::string>> matchHeaders;
};

struct Topology {
    std::vector<ExchangeSpec> exchanges;
    std::vector<QueueSpec> queues;
    std::vector<BindingSpec> bindings;
};

}  // namespace flowgate::broker
