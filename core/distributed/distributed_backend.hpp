// The parts of one process of a distributed engine, built from engine.json's "queue"
// (RabbitMQ) and "state" (PostgreSQL) settings: the shared state, the broker link with
// the engine's queues, the Queue over both and the cross-machine reply channel.
//
// A process that takes webhook calls (an ingress) publishes and has a reply queue of its
// own; one that runs work (a worker host) consumes the work queue for its worker
// processes and answers sync callers through the broker. `flowgate run` does both.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "broker/amqp_link.hpp"
#include "broker/broker_queue.hpp"
#include "broker/broker_reply_channel.hpp"
#include "broker/work_topology.hpp"
#include "queue/queue.hpp"
#include "reply/reply_channel.hpp"
#include "state/postgres_state.hpp"
#include "state/shared_state.hpp"

namespace flowgate::distributed {

struct DistributedSettings {
    std::string brokerUrl;  // amqp://… (secret: never logged; BrokerAddress::redacted is)
    state::PostgresStateOptions state;  // its url is secret too
    broker::WorkTopologyOptions topology;
    // Unacked deliveries a worker host holds: enough to keep its worker processes busy.
    std::uint16_t prefetch = 32;
    std::chrono::milliseconds confirmTimeout{5000};
    bool takesCalls = true;
    bool runsWork = true;
};

class DistributedBackend {
public:
    // Opens the shared state (throws queue::QueueUnavailable when it cannot) and starts
    // the broker link, which connects, declares and verifies in the background.
    explicit DistributedBackend(const DistributedSettings& settings);
    ~DistributedBackend();
    DistributedBackend(const DistributedBackend&) = delete;
    DistributedBackend& operator=(const DistributedBackend&) = delete;

    // True while the broker link is connected with the queues verified: before that, new
    // work is refused (503) rather than accepted into a queue that may not be there.
    bool ready() const { return link_->ready(); }
    bool waitReady(std::chrono::milliseconds timeout) { return link_->waitReady(timeout); }

    // The queue of this process (call once); one that runs work starts consuming. Destroy
    // it before the backend.
    std::unique_ptr<queue::Queue> makeQueue();
    reply::ReplyChannel& replies() { return *replies_; }
    state::SharedState& state() { return *state_; }

private:
    const bool runsWork_;
    const std::uint16_t prefetch_;
    std::unique_ptr<state::SharedState> state_;
    broker::WorkTopology topology_;
    std::string replyQueue_;
    std::unique_ptr<broker::AmqpLink> link_;
    std::unique_ptr<broker::BrokerReplyChannel> replies_;
    broker::BrokerQueue* queue_ = nullptr;  // made by makeQueue, owned by its caller
};

}  // namespace flowgate::distributed
