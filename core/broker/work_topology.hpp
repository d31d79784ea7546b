// The queues of a distributed engine and the one place that names them.
//
// One quorum work queue carries every flow's items, the step in a header: workers run
// any flow, so per-step queues would only multiply Raft groups (each quorum queue is a
// replicated log with its own fsyncs) and need declaring at runtime whenever a reloaded
// flow gains a step. Retries wait in delay tiers: quorum queues with a fixed TTL, bound
// to a headers exchange by their tier, that dead-letter (at least once) to the default
// exchange, which routes the message back by its routing key, the work queue. Per-message
// TTL would only expire at a queue's head, and Debian's broker has no delayed-message
// plugin. The work queue's x-delivery-limit moves a message that keeps killing its
// consumers to the poison queue, where an operator can look at it.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "broker/broker_message.hpp"
#include "broker/topology.hpp"

namespace flowgate::broker {

struct WorkTopologyOptions {
    std::string prefix = "flowgate";  // several engines may share a broker (or a vhost)
    // Deliveries of one message without an ack before it goes to the poison queue.
    std::int64_t deliveryLimit = 50;
};

class WorkTopology {
public:
    explicit WorkTopology(WorkTopologyOptions options = {});

    const std::string& workQueue() const { return workQueue_; }
    const std::string& poisonQueue() const { return poisonQueue_; }

    // The queues and exchanges every role declares (and verifies) before its traffic.
    Topology declarations() const;
    // ... plus an exclusive reply queue of its own (an ingress): `replyQueue` is from
    // newReplyQueueName().
    Topology declarationsWithReplyQueue(const std::string& replyQueue) const;
    std::string newReplyQueueName() const;

    // A publication of `message` to the work queue, now or after about `delay`: the
    // smallest tier not shorter than `delay` (the longest tier for longer ones).
    Publication toWork(BrokerMessage message, std::chrono::milliseconds delay) const;

    // The tiers, shortest first.
    static const std::vector<std::chrono::milliseconds>& delayTiers();

private:
    std::string tierQueue(std::chrono::milliseconds tier) const;

    WorkTopologyOptions options_;
    std::string workQueue_;
    std::string poisonQueue_;
    std::string delayExchange_;
    std::string poisonExchange_;
};

}  // namespace flowgate::broker
