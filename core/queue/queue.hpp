// The Queue interface: durable work items, one per step of one execution.
//
// The runtime and the Webhooks Service only see this interface; the embedded backend
// is SQLite (sqlite_queue.hpp), a distributed one can sit behind the same calls. The
// queue knows nothing of HTTP, flows or plugins: items are opaque strings keyed by flow.
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace flowgate::queue {

// A work item to be stored: run step `stepId` of `flowId` on `message`.
struct NewWorkItem {
    std::string flowId;
    std::string executionId;  // groups the items of one execution (the webhook's requestId)
    std::string stepId;
    std::string message;      // serialized flowgate::Message JSON
};

// A leased work item. Only the holder of `leaseToken` can settle it, and only until the
// lease ends; after that the item is handed out again with a new token.
struct WorkItem {
    std::int64_t id = 0;
    std::uint64_t leaseToken = 0;
    std::string flowId;
    std::string executionId;
    std::string stepId;
    std::string message;
    int failedAttempts = 0;  // attempts counted before this lease (this one is counted too)
};

// A step the worker ran in the same attempt as the leased item's step, on a message a pure
// step emitted, without storing that message (runtime/step_chain.hpp). Recorded in history
// as an attempt of its own step, in the settle that applies the leased item's outcome.
struct ChainedRun {
    std::string stepId;
    bool ok = true;  // false: it failed (or asked to retry or wait) and its input was stored
    std::string error;
    std::int64_t startedAtMs = 0;  // Unix epoch milliseconds
    std::int64_t durationUs = 0;
};

// What became of a leased item. A batch of outcomes is applied in one transaction.
// take() counts an attempt durably when it leases an item, so an attempt whose process
// dies, hangs or loses its lease is counted without anyone settling it. Outcomes that
// say the attempt did not happen give it back.
struct Outcome {
    enum class Kind {
        completed,   // remove the item and store `next` (the messages the step emitted)
        retry,       // run again after `delay`; the attempt stays counted if `failed`,
                     // else (a step's retryLater) it is given back
        deadLetter,  // move to the dead-letter table with `error` and every attempt taken
        release,     // give the lease and its attempt back (e.g. on shutdown), ready
                     // after `delay`
        wait,        // park the item with `message` until resume(.., `waitToken`, ..) or
                     // until `delay` passes, whichever comes first; attempt given back
    };
    std::int64_t itemId = 0;
    std::uint64_t leaseToken = 0;
    Kind kind = Kind::completed;
    std::vector<NewWorkItem> next;
    std::chrono::milliseconds delay{0};
    bool failed = false;
    std::string error;
    std::string message;    // wait: the item's message from now on
    std::string waitToken;  // wait: what resume() must present
    // completed: the steps chained after the item's own, in the order they ran.
    std::vector<ChainedRun> chained;
    // How long the item's own step ran, in microseconds (metrics); -1: it did not run.
    std::int64_t durationUs = -1;
};

// A parked item (Outcome::Kind::wait) that has neither been resumed nor timed out.
struct WaitingItem {
    std::int64_t id = 0;
    std::string flowId;
    std::string stepId;
    std::string message;
    std::string waitToken;
};

struct QueueStats {
    std::int64_t ready = 0;    // stored and not leased (including items waiting to retry)
    std::int64_t leased = 0;
    std::int64_t waiting = 0;  // parked by a wait outcome (counted in `ready` too)
    std::int64_t deadLetters = 0;
    std::int64_t commits = 0;        // transactions since start
    std::int64_t committedOps = 0;   // enqueue(Once)/settle/take calls they served
    // De-duplication keys stored (see enqueueOnce), counting expired ones not yet purged.
    std::int64_t dedupeKeys = 0;
    // Bytes of the messages of the stored work items (what a backlog limit counts), and
    // the sizes of the store's files where it has any (0 otherwise).
    std::int64_t backlogBytes = 0;
    std::int64_t databaseBytes = 0;
    std::int64_t walBytes = 0;
    std::int64_t checkpoints = 0;  // WAL resets since start
};

// The store cannot take the request now (full, closed, disk error). Callers answer 503;
// nothing of the failed call was stored.
class QueueUnavailable : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class QueueAdmin;        // queue/queue_admin.hpp
class ExecutionHistory;  // queue/execution_history.hpp

// All methods are thread-safe. Blocking methods return only once their effect is
// durable (committed), or throw QueueUnavailable and leave nothing behind.
class Queue {
public:
    virtual ~Queue() = default;

    // Stores new items atomically (all or none). Returns after they are durable.
    virtual void enqueue(std::vector<NewWorkItem> items) = 0;

    // What an asynchronous call reports once its effect is durable (nullptr) or refused
    // (the exception enqueue() would have thrown: QueueUnavailable, nothing stored).
    using Completion = std::function<void(std::exception_ptr)>;

    // enqueue() without a waiting thread: `done` is called exactly once, on the caller's
    // thread for an immediate refusal, else on a thread of the queue's (keep it short: it
    // may delay the next commit). A webhook's answer needs no thread parked per request,
    // which spares a wake-up per request (issue 9).
    virtual void enqueueAsync(std::vector<NewWorkItem> items, Completion done) = 0;

    // De-duplicated enqueue (a webhook delivery id seen twice). `key` is opaque to the
    // queue and compared byte for byte. If `key` was stored by an earlier call less than
    // that call's `window` ago, returns that call's `executionId` and stores nothing.
    // Otherwise stores `items` and remembers `key` -> `executionId` for `window`, both in
    // one transaction, and returns nullopt. Of concurrent calls with one key exactly one
    // stores; the others get its executionId. A full queue refuses the call as it would
    // enqueue(items), duplicate or not. On QueueUnavailable (full, storage error) nothing
    // is stored and the key is not remembered. Keys survive restarts; expired ones are
    // forgotten, and eventually deleted.
    virtual std::optional<std::string> enqueueOnce(const std::string& key,
                                                   std::chrono::milliseconds window,
                                                   std::string executionId,
                                                   std::vector<NewWorkItem> items) = 0;

    // Leases up to `max` ready items for `lease`, oldest first, waiting up to `wait` for
    // one to become ready. Returns empty on timeout or once close() was called.
    virtual std::vector<WorkItem> take(std::size_t max, std::chrono::milliseconds lease,
                                       std::chrono::milliseconds wait) = 0;

    // Applies the outcomes of leased items in one transaction. An outcome whose lease
    // token no longer matches (the lease ran out and the item went to someone else) is
    // skipped, together with its `next` items.
    virtual void settle(std::vector<Outcome> outcomes) = 0;

    // settle(outcomes), then leases up to `max` items ready now (no waiting), as take()
    // would. A worker hands in one batch's outcomes and gets its next batch in one trip:
    // one commit to wait for instead of two. A backend that can do both in one transaction
    // does; this default does one after the other. Throws QueueUnavailable, with nothing
    // of the outcomes applied, or after them if only the take failed.
    virtual std::vector<WorkItem> settleAndTake(std::vector<Outcome> outcomes, std::size_t max,
                                                std::chrono::milliseconds lease) {
        settle(std::move(outcomes));
        return take(max, lease, std::chrono::milliseconds(0));
    }

    // Wakes every take() and makes later ones return empty at once. enqueue() and
    // settle() keep working until the queue is destroyed, so in-flight work can finish.
    virtual void close() = 0;

    // True while an item of `executionId` is stored: ready, waiting to retry or leased.
    // Dead letters do not count. Sees the effect of every call that has returned.
    virtual bool hasPending(const std::string& executionId) = 0;

    // The parked items of `executionId`. Sees the effect of every call that has returned.
    virtual std::vector<WaitingItem> waiting(const std::string& executionId) = 0;

    // Makes parked item `itemId` ready now with `message`, if it is still parked with
    // `waitToken`; false if it is not (never parked, resumed already, or timed out and
    // taken). Returns once the change is durable. Tokens are compared by the caller (in
    // constant time) before; this is the compare-and-set that makes one resume win.
    virtual bool resume(std::int64_t itemId, const std::string& waitToken, std::string message) = 0;

    virtual QueueStats stats() = 0;

    // The operator's side (admin API) where the backend has one, else nullptr. Valid as
    // long as this queue. May throw QueueUnavailable (a queue that is not open yet).
    virtual QueueAdmin* admin() { return nullptr; }
    virtual ExecutionHistory* history() { return nullptr; }
};

}  // namespace flowgate::queue
