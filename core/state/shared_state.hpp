// The shared state of the distributed mode: what a broker cannot look up by key, kept
// where every ingress and worker machine can reach it (PostgreSQL: postgres_state.hpp).
//
// The broker carries the work items and their messages; the shared state knows each
// item's id and where it belongs (flow, execution, step) but not its message, except for
// items it must hand out itself (parked waits, dead letters, items to re-publish).
// Contract with the broker side (BrokerQueue):
// - Every published message has a unique item id (its AMQP message_id). State is written
//   and committed BEFORE the message that depends on it is published.
// - Every change made because of item X is keyed by X: settle(X) applies once; a
//   redelivery of X (a crash between commit and ack) gets alreadySettled and applies
//   nothing. The broker then still publishes the step's outputs (the first run may have
//   died before it did) and acks X. Give outputs ids derived from X and their position
//   (e.g. "<X>.<n>") so a re-run publishes the ids the state recorded the first time.
// - Items the state hands out itself (resume, expired waits, replays) come back as
//   Publish rows claimed for a while (PostgresStateOptions::publishClaim); the broker
//   publishes each and then calls published(). If it dies first, the claim runs out and
//   claimDue() hands the row out again under the same item id (at least once).
//
// Times that decide something (dedupe windows, wait timeouts, claims) are the state
// server's clock, so machines whose clocks differ agree. Times recorded in history for
// an attempt are the caller's (startedAtMs).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "queue/execution_history.hpp"
#include "queue/queue.hpp"
#include "queue/queue_admin.hpp"

namespace flowgate::state {

// A work item as the state knows it: no message.
struct ItemRef {
    std::string itemId;  // unique per published message (the AMQP message_id)
    std::string flowId;
    std::string executionId;
    std::string stepId;
};

// A webhook call about to be published: its execution and its first items.
struct Received {
    std::string executionId;  // the request id
    std::string flowId;
    std::string message;  // the first item's message, for history (capped by the options)
    std::vector<ItemRef> items;
    // De-duplication (Queue::enqueueOnce semantics); "" = none. The delivery id shown in
    // history is the part after the key's last '\n' (queue::deliveryIdOfKey).
    std::string dedupeKey;
    std::chrono::milliseconds window{0};
};

// A message the state hands to the broker to publish: a resumed or timed-out wait, a
// replayed dead letter, or one of those whose earlier publisher died before published().
struct Publish {
    ItemRef item;         // item.itemId is new (assigned by the state), stable across claims
    std::string message;  // the message to run item.stepId on
    int failedAttempts = 0;
};

// What became of one delivered item (queue::Outcome, seen from the broker).
struct Settlement {
    enum class Kind {
        completed,   // the step ran: `next` are the outputs about to be published
        retry,       // run again later as item `successorId` (published to a delay queue);
                     // attempt recorded "failed" if `failed`, else "retry" (retryLater)
        deadLetter,  // stored as a dead letter with `message`, `error` and `attempt`
        wait,        // parked with `message` and `waitToken` for `delay` (its timeout)
        release,     // given back unrun (shutdown) as item `successorId`
    };
    ItemRef item;  // the item being settled
    Kind kind = Kind::completed;
    int attempt = 0;               // this attempt's number: 1 for the first run
    std::int64_t startedAtMs = 0;  // when this attempt started (caller's clock)
    bool failed = false;
    std::string error;
    std::vector<ItemRef> next;        // completed
    std::vector<queue::ChainedRun> chained;  // completed: steps run after it, recorded too
    std::string successorId;          // retry, release
    std::string message;              // deadLetter, wait
    std::string waitToken;            // wait
    std::chrono::milliseconds delay{0};  // wait: how long until the wait times out
};

enum class SettleResult {
    applied,         // recorded now
    alreadySettled,  // item was settled before (a redelivery): nothing changed
};

// Counts for the engine's stats and metrics.
struct StateStats {
    std::int64_t pendingItems = 0;  // items known to be in the broker, parked or to publish
    std::int64_t waiting = 0;       // parked items
    std::int64_t deadLetters = 0;
    std::int64_t dedupeKeys = 0;    // stored, counting expired ones not yet purged
};

// All methods are thread-safe and may be called from any thread. A method returns once
// its change is committed, or throws queue::QueueUnavailable (server unreachable, or the
// transaction failed) and has changed nothing. Reads (ExecutionHistory included) see every
// change that returned, on any machine.
class SharedState : public queue::ExecutionHistory {
public:
    ~SharedState() override = default;

    // --- the webhook path (ingress) -------------------------------------------------
    // Records a new execution and its items before they are published. With a dedupe
    // key: if the key was stored less than its window ago, returns that execution's id
    // and records nothing; else stores key -> executionId for `window` with the rest, and
    // returns nullopt. Of concurrent calls with one key (on any machines) exactly one
    // stores; the others get its executionId.
    virtual std::optional<std::string> received(const Received& received) = 0;
    // Undoes received() when the publish failed (nack, return, timeout, broker down): the
    // execution, its items and its history are deleted, and the key is forgotten if it
    // still names this execution, so the sender's retry is not taken for a duplicate.
    // A process that dies between received() and its publish cannot call it: that
    // execution stays "running" with its item pending, and its key answers the sender's
    // retries as duplicates until its window ends (a known gap: the caller got no 202).
    virtual void forgetReceived(const std::string& executionId, const std::string& dedupeKey) = 0;

    // --- the worker path ------------------------------------------------------------
    // Applies a batch in one transaction; one result per settlement, in order.
    virtual std::vector<SettleResult> settle(const std::vector<Settlement>& settlements) = 0;
    // A delivery of `item` arrived redelivered: an earlier attempt never reported (its
    // worker died). Recorded as a "lost" attempt like the embedded queue does.
    virtual void lost(const ItemRef& item, int attempt, std::int64_t startedAtMs) = 0;

    // --- waits ------------------------------------------------------------------------
    // The parked items of `executionId` (WaitingItem::id is the wait's id).
    virtual std::vector<queue::WaitingItem> waiting(const std::string& executionId) = 0;
    // Compare-and-set: if wait `waitId` is still parked with `waitToken`, claims it for
    // publishing with `message` and returns what to publish; nullopt if it is not (never
    // parked, resumed already, or timed out and claimed). Exactly one caller wins.
    virtual std::optional<Publish> resume(std::int64_t waitId, const std::string& waitToken,
                                          const std::string& message) = 0;
    // Claims up to `max` rows due for publishing: waits whose timeout passed (their parked
    // message, as the embedded queue hands out a timed-out wait) and claimed rows whose
    // publisher did not call published() within the claim. Call it periodically.
    virtual std::vector<Publish> claimDue(std::size_t max) = 0;
    // The broker confirmed these items (Publish::item.itemId): they are in the broker now.
    virtual void published(const std::vector<std::string>& itemIds) = 0;

    // True while an item of `executionId` is pending: in the broker, parked or to
    // publish. Dead letters do not count.
    virtual bool hasPending(const std::string& executionId) = 0;

    // --- the operator's side (behind BrokerQueue's queue::QueueAdmin) ---------------
    virtual void setPaused(const std::string& flowId, bool paused) = 0;
    virtual std::set<std::string> pausedFlows() = 0;
    virtual queue::DeadLetterPage deadLetterPage(const queue::DeadLetterQuery& query) = 0;
    // Moves dead letter `id` (or every one matching `query`, at most `max`; its cursor and
    // limit are ignored) back to pending items with a fresh attempt count, records a
    // "replayed" attempt, and returns what to publish (claimed, as resume()). Empty if
    // none matched.
    virtual std::vector<Publish> replayDeadLetter(std::int64_t id) = 0;
    virtual std::vector<Publish> replayDeadLetters(const queue::DeadLetterQuery& query,
                                                   std::size_t max) = 0;
    virtual bool deleteDeadLetter(std::int64_t id) = 0;
    // The newest dead letters first (Queue::deadLetters).
    virtual std::vector<queue::DeadLetter> deadLetters(std::size_t limit) = 0;

    virtual StateStats stats() = 0;
};

}  // namespace flowgate::state
