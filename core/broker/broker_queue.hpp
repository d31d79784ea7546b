// The Queue of the distributed mode: work items travel through RabbitMQ (AmqpLink), what
// must be looked up by key lives in the shared state (PostgreSQL, state::SharedState).
//
// Order rules, each what a guarantee rests on:
// - New items: the state records the execution (and its dedupe key) and commits, then
//   the items are published; the caller hears "stored" only after the broker confirmed
//   them. A failed publish undoes the state (forgetReceived) and reports QueueUnavailable.
// - Settling: the state commits the outcomes (keyed by item id, so a redelivery applies
//   nothing twice), then the outputs, retries and releases are published and confirmed,
//   and only then are the inputs acked. A crash between any two steps redelivers the
//   input; its settle finds it settled and publishes the same derived ids again.
// - Attempts: a message carries the failed attempts before it was published; the broker
//   counts the deliveries that died unacked (x-delivery-count). Their sum is the item's
//   failedAttempts, so a step that kills its worker uses attempts up as in the embedded
//   mode.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "broker/amqp_link.hpp"
#include "broker/work_envelope.hpp"
#include "broker/work_topology.hpp"
#include "queue/queue.hpp"
#include "queue/queue_admin.hpp"
#include "state/shared_state.hpp"

namespace flowgate::broker {

struct BrokerQueueOptions {
    // This process's exclusive reply queue (an ingress), carried by every new item so a
    // worker anywhere can answer a sync caller here; "" when this process takes no calls.
    std::string replyQueue;
    // How often leases are checked, due waits and stalled publishes claimed, and the
    // paused flows read again.
    std::chrono::milliseconds housekeeping{250};
    std::size_t claimBatch = 100;
};

class BrokerQueue final : public queue::Queue {
public:
    // `link`, `topology` and `state` must outlive the queue.
    BrokerQueue(AmqpLink& link, const WorkTopology& topology, state::SharedState& state,
                BrokerQueueOptions options);
    // Stops housekeeping and gives back what was delivered but not settled.
    ~BrokerQueue() override;
    BrokerQueue(const BrokerQueue&) = delete;
    BrokerQueue& operator=(const BrokerQueue&) = delete;

    // Starts consuming the work queue with at most `prefetch` unacked deliveries (a
    // worker role; an ingress never takes).
    void consumeWork(std::uint16_t prefetch);

    // The reply queue for a sync reply of `executionId`, while this process holds an
    // item of it or settled one moments ago (a worker hands its replies over right after
    // the settle that made them durable).
    std::optional<std::string> replyQueueOf(const std::string& executionId);

    void enqueue(std::vector<queue::NewWorkItem> items) override;
    void enqueueAsync(std::vector<queue::NewWorkItem> items, Completion done) override;
    std::optional<std::string> enqueueOnce(const std::string& key, std::chrono::milliseconds window,
                                           std::string executionId,
                                           std::vector<queue::NewWorkItem> items) override;
    std::vector<queue::WorkItem> take(std::size_t max, std::chrono::milliseconds lease,
                                      std::chrono::milliseconds wait) override;
    void settle(std::vector<queue::Outcome> outcomes) override;
    void close() override;
    bool hasPending(const std::string& executionId) override;
    std::vector<queue::WaitingItem> waiting(const std::string& executionId) override;
    bool resume(std::int64_t itemId, const std::string& waitToken, std::string message) override;
    queue::QueueStats stats() override;
    queue::QueueAdmin* admin() override;
    queue::ExecutionHistory* history() override { return &state_; }

    // Publishes what the state hands out (resumes, replays, due waits) and tells it.
    // Returns false if the broker did not confirm (the state's claim runs out and
    // claimDue() hands the rows out again).
    bool publishFromState(const std::vector<state::Publish>& rows);

private:
    struct Held {
        WorkEnvelope envelope;
        DeliveryRef ref;
        int failedAttempts = 0;
        bool lostBefore = false;  // an earlier delivery died unacked
    };
    struct Leased {
        Held held;
        std::uint64_t token = 0;
        std::chrono::steady_clock::time_point deadline;
        std::int64_t startedAtMs = 0;
    };
    class Admin;

    void onDelivery(Delivery delivery);
    state::Received receivedOf(const std::string& executionId, const std::string& key,
                               std::chrono::milliseconds window,
                               const std::vector<queue::NewWorkItem>& items) const;
    std::vector<Publication> publicationsOf(const state::Received& received,
                                            const std::vector<queue::NewWorkItem>& items) const;
    void housekeep();

    AmqpLink& link_;
    const WorkTopology& topology_;
    state::SharedState& state_;
    const BrokerQueueOptions options_;
    std::unique_ptr<queue::QueueAdmin> admin_;

    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<Held> ready_;
    std::map<std::int64_t, Leased> leased_;
    std::set<std::string> paused_;
    // executionId -> (reply queue, when settled): items settled within kReplyMemory.
    std::map<std::string, std::pair<std::string, std::chrono::steady_clock::time_point>>
        recentReplyTo_;
    std::int64_t nextId_ = 1;
    std::uint64_t nextToken_ = 1;
    bool closed_ = false;
    bool stopping_ = false;
    std::thread housekeeper_;
};

}  // namespace flowgate::broker
