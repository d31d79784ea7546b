#include "broker/broker_queue.hpp"

#include <Poco/Logger.h>

#include <future>

#include "broker/broker_error.hpp"

namespace flowgate::broker {

namespace {

std::int64_t nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// How long a settled item's reply queue is remembered for the reply that follows.
constexpr std::chrono::seconds kReplyMemory{30};

Poco::Logger& logger() {
    static Poco::Logger& log = Poco::Logger::get("flowgate.broker");
    return log;
}

BrokerMessage messageOf(const state::Publish& row) {
    WorkEnvelope envelope;
    envelope.itemId = row.item.itemId;
    envelope.flowId = row.item.flowId;
    envelope.executionId = row.item.executionId;
    envelope.stepId = row.item.stepId;
    envelope.message = row.message;
    envelope.failedAttempts = row.failedAttempts;
    return encodeWork(envelope);
}

state::ItemRef refOf(const WorkEnvelope& envelope) {
    return {envelope.itemId, envelope.flowId, envelope.executionId, envelope.stepId};
}

}  // namespace

// The operator's side: the state changes, the broker publishes what a replay hands out.
class BrokerQueue::Admin final : public queue::QueueAdmin {
public:
    explicit Admin(BrokerQueue& queue) : queue_(queue) {}

    void setPaused(const std::string& flowId, bool paused) override {
        queue_.state_.setPaused(flowId, paused);
        std::lock_guard lock(queue_.mutex_);
        if (paused)
            queue_.paused_.insert(flowId);
        else
            queue_.paused_.erase(flowId);
        queue_.changed_.notify_all();
    }
    std::set<std::string> pausedFlows() override { return queue_.state_.pausedFlows(); }
    queue::DeadLetterPage deadLetterPage(const queue::DeadLetterQuery& query) override {
        return queue_.state_.deadLetterPage(query);
    }
    std::optional<std::string> replayDeadLetter(std::int64_t id) override {
        const auto rows = queue_.state_.replayDeadLetter(id);
        if (rows.empty()) return std::nullopt;
        // Not confirmed: the claim runs out and housekeeping publishes it again.
        queue_.publishFromState(rows);
        return rows.front().item.executionId;
    }
    std::int64_t replayDeadLetters(const queue::DeadLetterQuery& query, std::size_t max) override {
        const auto rows = queue_.state_.replayDeadLetters(query, max);
        queue_.publishFromState(rows);
        return static_cast<std::int64_t>(rows.size());
    }
    bool deleteDeadLetter(std::int64_t id) override { return queue_.state_.deleteDeadLetter(id); }

private:
    BrokerQueue& queue_;
};

BrokerQueue::BrokerQueue(AmqpLink& link, const WorkTopology& topology, state::SharedState& state,
                         BrokerQueueOptions options)
    : link_(link),
      topology_(topology),
      state_(state),
      options_(std::move(options)),
      admin_(std::make_unique<Admin>(*this)) {
    try {
        paused_ = state_.pausedFlows();
    } catch (const queue::QueueUnavailable& e) {
        logger().warning(std::string("cannot read the paused flows yet: ") + e.what());
    }
    housekeeper_ = std::thread([this] { housekeep(); });
}

BrokerQueue::~BrokerQueue() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        closed_ = true;
    }
    changed_.notify_all();
    housekeeper_.join();
    // Back to the queue for another consumer (the link may live on).
    std::lock_guard lock(mutex_);
    for (const auto& held : ready_) link_.reject(held.ref, true);
    for (const auto& [id, leased] : leased_) link_.reject(leased.held.ref, true);
}

void BrokerQueue::consumeWork(std::uint16_t prefetch) {
    link_.consume(topology_.workQueue(), prefetch,
                  [this](Delivery delivery) { onDelivery(std::move(delivery)); });
}

void BrokerQueue::onDelivery(Delivery delivery) {
    auto envelope = decodeWork(delivery.message);
    if (!envelope) {
        // Not ours: dead-lettered to the poison queue rather than dropped or looping.
        link_.reject(delivery.ref, false);
        return;
    }
    Held held;
    held.failedAttempts = envelope->failedAttempts + static_cast<int>(delivery.deliveryCount);
    held.lostBefore = delivery.deliveryCount > 0;
    held.envelope = std::move(*envelope);
    held.ref = delivery.ref;
    {
        std::lock_guard lock(mutex_);
        ready_.push_back(std::move(held));
    }
    changed_.notify_all();
}

std::optional<std::string> BrokerQueue::replyQueueOf(const std::string& executionId) {
    std::lock_guard lock(mutex_);
    for (const auto& [id, leased] : leased_)
        if (leased.held.envelope.executionId == executionId &&
            !leased.held.envelope.replyTo.empty())
            return leased.held.envelope.replyTo;
    const auto recent = recentReplyTo_.find(executionId);
    if (recent != recentReplyTo_.end()) return recent->second.first;
    return std::nullopt;
}

state::Received BrokerQueue::receivedOf(const std::string& executionId, const std::string& key,
                                        std::chrono::milliseconds window,
                                        const std::vector<queue::NewWorkItem>& items) const {
    state::Received received;
    received.executionId = executionId;
    received.flowId = items.front().flowId;
    received.message = items.front().message;
    received.dedupeKey = key;
    received.window = window;
    for (std::size_t i = 0; i < items.size(); ++i)
        received.items.push_back({initialItemId(executionId, i), items[i].flowId,
                                  items[i].executionId, items[i].stepId});
    return received;
}

std::vector<Publication> BrokerQueue::publicationsOf(
    const state::Received& received, const std::vector<queue::NewWorkItem>& items) const {
    std::vector<Publication> publications;
    for (std::size_t i = 0; i < items.size(); ++i) {
        WorkEnvelope envelope;
        envelope.itemId = received.items[i].itemId;
        envelope.flowId = items[i].flowId;
        envelope.executionId = items[i].executionId;
        envelope.stepId = items[i].stepId;
        envelope.message = items[i].message;
        envelope.replyTo = options_.replyQueue;
        publications.push_back(
            topology_.toWork(encodeWork(envelope), std::chrono::milliseconds(0)));
    }
    return publications;
}

void BrokerQueue::enqueueAsync(std::vector<queue::NewWorkItem> items, Completion done) {
    if (items.empty()) {
        done(nullptr);
        return;
    }
    const std::string executionId = items.front().executionId;
    state::Received received;
    try {
        received = receivedOf(executionId, "", std::chrono::milliseconds(0), items);
        state_.received(received);
    } catch (const queue::QueueUnavailable&) {
        done(std::current_exception());
        return;
    }
    auto publications = publicationsOf(received, items);
    link_.publish(std::move(publications),
                  [this, executionId, done = std::move(done)](std::exception_ptr error) {
                      if (!error) {
                          done(nullptr);
                          return;
                      }
                      std::string reason = "the broker did not take the message";
                      try {
                          std::rethrow_exception(error);
                      } catch (const std::exception& e) {
                          reason = e.what();
                      }
                      // Nothing stored: the state forgets the execution (a retry is no duplicate).
                      try {
                          state_.forgetReceived(executionId, "");
                      } catch (const std::exception& e) {
                          logger().error("cannot undo execution " + executionId +
                                         " after a failed publish: " + e.what());
                      }
                      done(std::make_exception_ptr(queue::QueueUnavailable(reason)));
                  });
}

void BrokerQueue::enqueue(std::vector<queue::NewWorkItem> items) {
    std::promise<void> stored;
    auto result = stored.get_future();
    enqueueAsync(std::move(items), [&stored](std::exception_ptr error) {
        if (error)
            stored.set_exception(error);
        else
            stored.set_value();
    });
    result.get();
}

std::optional<std::string> BrokerQueue::enqueueOnce(const std::string& key,
                                                    std::chrono::milliseconds window,
                                                    std::string executionId,
                                                    std::vector<queue::NewWorkItem> items) {
    const auto received = receivedOf(executionId, key, window, items);
    if (auto earlier = state_.received(received)) return earlier;
    try {
        link_.publishAndWait(publicationsOf(received, items));
    } catch (const BrokerUnavailable& e) {
        try {
            state_.forgetReceived(executionId, key);
        } catch (const std::exception& undo) {
            logger().error("cannot undo execution " + executionId +
                           " after a failed publish: " + undo.what());
        }
        throw queue::QueueUnavailable(e.what());
    }
    return std::nullopt;
}

std::vector<queue::WorkItem> BrokerQueue::take(std::size_t max, std::chrono::milliseconds lease,
                                               std::chrono::milliseconds wait) {
    std::vector<queue::WorkItem> items;
    std::vector<Leased> lost;
    {
        std::unique_lock lock(mutex_);
        auto takeable = [this] {
            for (const auto& held : ready_)
                if (!paused_.count(held.envelope.flowId)) return true;
            return false;
        };
        changed_.wait_for(lock, wait, [&] { return closed_ || takeable(); });
        if (closed_) return items;
        const auto now = std::chrono::steady_clock::now();
        for (auto it = ready_.begin(); it != ready_.end() && items.size() < max;) {
            if (paused_.count(it->envelope.flowId)) {
                ++it;  // taken in order once the flow is resumed
                continue;
            }
            Leased leased{std::move(*it), nextToken_++, now + lease, nowMs()};
            it = ready_.erase(it);
            const std::int64_t id = nextId_++;
            queue::WorkItem item;
            item.id = id;
            item.leaseToken = leased.token;
            item.flowId = leased.held.envelope.flowId;
            item.executionId = leased.held.envelope.executionId;
            item.stepId = leased.held.envelope.stepId;
            item.message = leased.held.envelope.message;
            item.failedAttempts = leased.held.failedAttempts;
            items.push_back(std::move(item));
            if (leased.held.lostBefore) lost.push_back(leased);
            leased_.emplace(id, std::move(leased));
        }
    }
    // An earlier delivery died with its worker: history shows that attempt as lost.
    for (const auto& leased : lost) {
        try {
            state_.lost(refOf(leased.held.envelope), leased.held.failedAttempts,
                        leased.startedAtMs);
        } catch (const std::exception& e) {
            logger().warning(std::string("cannot record a lost attempt: ") + e.what());
        }
    }
    return items;
}

void BrokerQueue::settle(std::vector<queue::Outcome> outcomes) {
    std::vector<std::pair<Leased, queue::Outcome>> settling;
    {
        std::lock_guard lock(mutex_);
        for (auto& outcome : outcomes) {
            auto it = leased_.find(outcome.itemId);
            // A lease that ran out was given back to the broker: someone else settles it.
            if (it == leased_.end() || it->second.token != outcome.leaseToken) continue;
            settling.emplace_back(std::move(it->second), std::move(outcome));
            leased_.erase(it);
        }
    }
    if (settling.empty()) return;

    std::vector<state::Settlement> settlements;
    std::vector<Publication> publications;
    for (const auto& [leased, outcome] : settling) {
        const WorkEnvelope& input = leased.held.envelope;
        state::Settlement s;
        s.item = refOf(input);
        s.attempt = leased.held.failedAttempts + 1;
        s.startedAtMs = leased.startedAtMs;
        s.failed = outcome.failed;
        s.error = outcome.error;
        s.delay = outcome.delay;
        WorkEnvelope again = input;  // a retry or release runs the same step again
        again.itemId = successorItemId(input.itemId);
        switch (outcome.kind) {
            case queue::Outcome::Kind::completed:
                s.kind = state::Settlement::Kind::completed;
                s.chained = outcome.chained;
                for (std::size_t i = 0; i < outcome.next.size(); ++i) {
                    const auto& next = outcome.next[i];
                    WorkEnvelope out;
                    out.itemId = outputItemId(input.itemId, i);
                    out.flowId = next.flowId;
                    out.executionId = next.executionId;
                    out.stepId = next.stepId;
                    out.message = next.message;
                    out.replyTo = input.replyTo;
                    s.next.push_back(refOf(out));
                    publications.push_back(
                        topology_.toWork(encodeWork(out), std::chrono::milliseconds(0)));
                }
                break;
            case queue::Outcome::Kind::retry:
                s.kind = state::Settlement::Kind::retry;
                s.successorId = again.itemId;
                // A step's retryLater gives its attempt back; a failure keeps it counted.
                again.failedAttempts = leased.held.failedAttempts + (outcome.failed ? 1 : 0);
                publications.push_back(topology_.toWork(encodeWork(again), outcome.delay));
                break;
            case queue::Outcome::Kind::release:
                s.kind = state::Settlement::Kind::release;
                s.successorId = again.itemId;
                again.failedAttempts = leased.held.failedAttempts;
                publications.push_back(topology_.toWork(encodeWork(again), outcome.delay));
                break;
            case queue::Outcome::Kind::deadLetter:
                s.kind = state::Settlement::Kind::deadLetter;
                s.message = input.message;
                break;
            case queue::Outcome::Kind::wait:
                s.kind = state::Settlement::Kind::wait;
                s.message = outcome.message;
                s.waitToken = outcome.waitToken;
                break;
        }
        settlements.push_back(std::move(s));
    }

    auto giveBack = [&] {
        for (const auto& [leased, outcome] : settling) link_.reject(leased.held.ref, true);
    };
    try {
        // Settled earlier (a redelivery): nothing is applied twice, and the outputs are
        // published again under the same ids, since the first run may have died before.
        state_.settle(settlements);
        link_.publishAndWait(std::move(publications));
    } catch (const BrokerUnavailable& e) {
        giveBack();
        throw queue::QueueUnavailable(e.what());
    } catch (...) {
        giveBack();
        throw;
    }
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mutex_);
    for (const auto& [leased, outcome] : settling) {
        link_.ack(leased.held.ref);
        if (!leased.held.envelope.replyTo.empty())
            recentReplyTo_[leased.held.envelope.executionId] = {leased.held.envelope.replyTo, now};
    }
}

void BrokerQueue::close() {
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
    }
    changed_.notify_all();
}

queue::QueueAdmin* BrokerQueue::admin() {
    return admin_.get();
}

bool BrokerQueue::hasPending(const std::string& executionId) {
    return state_.hasPending(executionId);
}

std::vector<queue::WaitingItem> BrokerQueue::waiting(const std::string& executionId) {
    return state_.waiting(executionId);
}

bool BrokerQueue::resume(std::int64_t itemId, const std::string& waitToken, std::string message) {
    auto row = state_.resume(itemId, waitToken, message);
    if (!row) return false;
    // The resume won even if this publish is not confirmed: the claim runs out and
    // housekeeping (here or on another machine) publishes it.
    publishFromState({*row});
    return true;
}

bool BrokerQueue::publishFromState(const std::vector<state::Publish>& rows) {
    if (rows.empty()) return true;
    std::vector<Publication> publications;
    std::vector<std::string> ids;
    for (const auto& row : rows) {
        publications.push_back(topology_.toWork(messageOf(row), std::chrono::milliseconds(0)));
        ids.push_back(row.item.itemId);
    }
    try {
        link_.publishAndWait(std::move(publications));
        state_.published(ids);
        return true;
    } catch (const std::exception& e) {
        logger().warning(std::string("will publish again after the claim: ") + e.what());
        return false;
    }
}

queue::QueueStats BrokerQueue::stats() {
    const auto counts = state_.stats();
    queue::QueueStats stats;
    stats.ready = counts.pendingItems;
    stats.waiting = counts.waiting;
    stats.deadLetters = counts.deadLetters;
    stats.dedupeKeys = counts.dedupeKeys;
    std::lock_guard lock(mutex_);
    stats.leased = static_cast<std::int64_t>(leased_.size());
    return stats;
}

void BrokerQueue::housekeep() {
    auto lastPausedRead = std::chrono::steady_clock::now();
    while (true) {
        {
            std::unique_lock lock(mutex_);
            changed_.wait_for(lock, options_.housekeeping, [this] { return stopping_; });
            if (stopping_) return;
            // A lease that ran out (its worker died or hangs): back to the broker, which
            // counts the delivery and hands it to whoever is free.
            const auto now = std::chrono::steady_clock::now();
            std::erase_if(recentReplyTo_, [&](const auto& entry) {
                return now - entry.second.second > kReplyMemory;
            });
            for (auto it = leased_.begin(); it != leased_.end();) {
                if (it->second.deadline < now) {
                    link_.reject(it->second.held.ref, true);
                    it = leased_.erase(it);
                } else {
                    ++it;
                }
            }
        }
        try {
            if (link_.ready()) publishFromState(state_.claimDue(options_.claimBatch));
            if (std::chrono::steady_clock::now() - lastPausedRead > std::chrono::seconds(1)) {
                auto paused = state_.pausedFlows();
                lastPausedRead = std::chrono::steady_clock::now();
                {
                    std::lock_guard lock(mutex_);
                    paused_ = std::move(paused);
                }
                changed_.notify_all();
            }
        } catch (const std::exception& e) {
            logger().warning(std::string("broker queue housekeeping: ") + e.what());
        }
    }
}

}  // namespace flowgate::broker
