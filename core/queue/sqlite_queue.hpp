// The embedded Queue: one SQLite file in WAL mode, owned by one process.
//
// Durability comes from synchronous=FULL; speed from group commit. One writer thread owns
// the write connection: it takes every operation waiting at that moment (enqueue, settle,
// take), applies them all in one transaction, and only after COMMIT returns does it wake
// their callers. With many concurrent callers one fsync serves many of them, without any
// artificial delay to grow batches (PLATFORM.md: ~20k durable enqueues/s at 64 callers).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "queue/execution_history.hpp"
#include "queue/queue.hpp"
#include "queue/queue_admin.hpp"
#include "queue/sqlite_history.hpp"

namespace flowgate::queue {

struct SqliteQueueOptions {
    // Directory of the queue; created if missing. Holds `fileName` (plus SQLite's -wal and
    // -shm files) and `queue.lock`, which this process keeps locked while the queue lives.
    std::filesystem::path dataDir;
    std::string fileName = "queue.db";

    // The backlog limit. enqueue() throws QueueUnavailable("queue full ..." or "backlog
    // full ...") when the work items stored would pass this count, or their messages this
    // many bytes (0: no byte limit). Stored means not yet finished: ready, waiting to retry,
    // parked, or leased (a leased item comes back by itself when its lease runs out, so it
    // still counts). Only enqueue() is refused; settle() may store the `next` items of a
    // completed step beyond the limit, since refusing them would stall accepted work.
    std::size_t maxReady = 100'000;
    std::uint64_t maxBacklogBytes = 0;

    // The WAL is checkpointed back into the database and restarted from its beginning once
    // it passes this size, between two writer batches, so it stays near this bound under
    // any sustained load (a checkpoint alone cannot reset a WAL that a writer keeps
    // appending to). The file itself is truncated to this size after a reset.
    std::uint64_t walLimitBytes = 64 * 1024 * 1024;

    // How many steps nicer (lower CPU priority) than the writer the background checkpointer
    // runs. Under full load it otherwise takes CPU time from the threads a webhook waits
    // on; it needs only to keep the WAL near walLimitBytes, and if it falls behind the
    // writer checkpoints between batches (see walLimitBytes).
    int checkpointerNice = 0;

    // After this long without any operation the writer returns free database pages to the
    // file system and truncates the WAL to zero bytes.
    std::chrono::milliseconds idleCheckpointAfter{1000};

    // Upper bound on the database file (0: none). Storing past it fails the batch with
    // QueueUnavailable exactly as a full disk would, so the queue answers 503 before the
    // disk is full for every other program. The WAL file (bounded by checkpoints) is extra.
    std::uint64_t maxDatabaseBytes = 0;

    // Largest row SQLite stores (0: SQLite's own limit, 1e9 bytes). A bigger message fails
    // its own operation with QueueUnavailable; the other operations of its batch commit.
    std::uint64_t maxRowBytes = 0;

    // How long the read connection (stats, admin reads) waits for a lock held during WAL
    // recovery or checkpointing before failing.
    std::chrono::milliseconds busyTimeout{5000};

    // The execution history kept beside the items (queue/execution_history.hpp).
    HistoryOptions history;

    // How a commit is flushed to the disk before its callers hear of it: fdatasync on the
    // WAL (empty), or a test's own, to watch or fail it (queue/wal_syncer.hpp).
    std::function<int(int fd)> syncWal;
};

// Thread safety: every Queue method may be called from any thread at the same time.
// enqueue(), settle() and take() block until the writer has committed their effect (or
// failed it: QueueUnavailable, nothing stored); so does enqueueOnce(). stats(),
// hasPending() and the admin and history reads use a separate connection and never wait
// for the writer.
//
// Times are wall-clock (Unix epoch milliseconds): they are stored, so they must mean the
// same thing to the next process. A clock step shifts leases and delays by that much.
class SqliteQueue : public Queue, public QueueAdmin, public ExecutionHistory {
public:
    // Opens or creates the queue in `options.dataDir`. Throws std::runtime_error if another
    // process (or another SqliteQueue in this one) holds the directory's lock, or if the
    // database cannot be opened. Every lease left in the file is cleared on open: the
    // process that held them is gone, so their items are ready again at once.
    explicit SqliteQueue(SqliteQueueOptions options);

    // Wakes blocked take() calls, commits every operation already submitted, stops the
    // writer and releases the lock. No call may still be running or start on this queue
    // (the usual rule for destroying an object).
    ~SqliteQueue() override;

    SqliteQueue(const SqliteQueue&) = delete;
    SqliteQueue& operator=(const SqliteQueue&) = delete;

    // See Queue. An empty `items` returns at once. Throws QueueUnavailable when full
    // (see maxReady), on a storage error, or once the queue is being destroyed.
    void enqueue(std::vector<NewWorkItem> items) override;
    // See Queue: the same op as enqueue() in the same group commit; `done` runs on the
    // writer thread right after the commit, before the next batch starts.
    void enqueueAsync(std::vector<NewWorkItem> items, Completion done) override;

    // See Queue. Goes through the writer like enqueue() (same group commit, same maxReady
    // and failure rules). `items` may be empty: the key is still remembered. A window is
    // measured on the wall clock from the writer's time of the storing commit. Throws
    // std::invalid_argument if `window` is not positive.
    std::optional<std::string> enqueueOnce(const std::string& key, std::chrono::milliseconds window,
                                           std::string executionId,
                                           std::vector<NewWorkItem> items) override;

    // See Queue. Each leased item gets a fresh lease token; its available time moves to
    // now + `lease`, so a lease that runs out makes the item ready again without anyone
    // acting. Throws std::invalid_argument if `lease` is not positive.
    std::vector<WorkItem> take(std::size_t max, std::chrono::milliseconds lease,
                               std::chrono::milliseconds wait) override;

    // See Queue. An outcome applies only if its item still carries its lease token (a
    // late settle after the lease ran out but before anyone re-took the item still
    // applies). `next` belongs to completed outcomes only: std::invalid_argument for
    // another kind with `next` items. A negative delay counts as zero.
    void settle(std::vector<Outcome> outcomes) override;
    // One op, one transaction: the outcomes, then the take, which so can lease a `next`
    // item the outcomes stored.
    std::vector<WorkItem> settleAndTake(std::vector<Outcome> outcomes, std::size_t max,
                                        std::chrono::milliseconds lease) override;

    void close() override;
    // See Queue. Reads through the read connection, like stats().
    bool hasPending(const std::string& executionId) override;
    std::vector<WaitingItem> waiting(const std::string& executionId) override;
    bool resume(std::int64_t itemId, const std::string& waitToken, std::string message) override;
    QueueStats stats() override;

    QueueAdmin* admin() override { return this; }
    ExecutionHistory* history() override { return this; }

    // QueueAdmin: changes go through the writer like settle(); reads use the read
    // connection.
    void setPaused(const std::string& flowId, bool paused) override;
    std::set<std::string> pausedFlows() override;
    DeadLetterPage deadLetterPage(const DeadLetterQuery& query) override;
    std::optional<std::string> replayDeadLetter(std::int64_t id) override;
    std::int64_t replayDeadLetters(const DeadLetterQuery& query, std::size_t max) override;
    bool deleteDeadLetter(std::int64_t id) override;

    // ExecutionHistory
    ExecutionPage executions(const ExecutionQuery& query) override;
    std::optional<ExecutionDetail> execution(const std::string& requestId) override;
    std::map<std::string, FlowActivity> flowActivity() override;

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace flowgate::queue
