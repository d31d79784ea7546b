// The inside of SqliteQueue, private to the queue library. One object owns the writer
// thread (group commit); its member functions live in files by job:
//   sqlite_queue.cpp             the callers' side: submitting ops, waiting, stats
//   sqlite_queue_writer.cpp      the writer thread: batches, one transaction each
//   sqlite_queue_schema.cpp      opening the file: settings, schema, migrations, recovery
//   sqlite_queue_statements.cpp  the SQL the writer and readers prepare
//   sqlite_work_items.cpp        work items: enqueue, take (lease), settle
//   sqlite_dedupe.cpp            enqueueOnce's delivery keys and their expiry
//   sqlite_waits.cpp             parked items: listing and resuming them
//   sqlite_wal_checkpointer.cpp  the WAL kept bounded, and idle maintenance
#pragma once

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <future>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "queue/lock_file.hpp"
#include "queue/sqlite_admin.hpp"
#include "queue/sqlite_db.hpp"
#include "queue/sqlite_history.hpp"
#include "queue/sqlite_queue.hpp"
#include "queue/wal_syncer.hpp"

namespace flowgate::queue {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

// Expired de-duplication keys deleted per transaction, and how often the writer looks for
// them. Small, so a purge adds little to the batch it rides on; a purge that hit the limit
// is repeated in the next batch, so deletion keeps up with any sustained insert rate.
constexpr std::int64_t kPurgeBatch = 256;
constexpr std::int64_t kPurgeIntervalMs = 1000;
// History retention (pruneHistory): executions deleted per step while the writer waits for
// a flush (a step of 64 costs about 0.3 ms), and how far behind that lets it fall before
// the backstop prunes in every batch.
constexpr std::int64_t kIdlePruneExecutions = 64;
constexpr std::int64_t kPruneDueLimit = 4 * SqliteHistory::kPruneBatch;

inline std::int64_t wallNowMs() {
    return std::chrono::duration_cast<milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// now + delay without overflow (a caller may pass milliseconds::max() as "forever").
inline std::int64_t addMs(std::int64_t now, milliseconds delay) {
    const std::int64_t d = std::max<std::int64_t>(delay.count(), 0);
    constexpr std::int64_t kFar = std::numeric_limits<std::int64_t>::max() / 2;
    return d > kFar - now ? kFar : now + d;
}

// An item's message, for a query over `work_items w`: its own row, else its execution's
// (a first-step item whose message the history keeps whole, see kSchema). LEFT JOINs keep
// work_items the outer loop; each message is one primary-key lookup.
inline constexpr const char* kItemMessage = "COALESCE(m.message, em.message)";
inline constexpr const char* kItemMessageJoin =
    "LEFT JOIN work_item_messages m ON m.item_id = w.id "
    "LEFT JOIN execution_messages em ON em.seq = w.message_seq";

// Everything the writer thread needs. Statements are prepared once on the write
// connection; only the writer thread touches them after the constructor.
struct WriteStatements {
    explicit WriteStatements(sqlite::Db& db);

    sqlite::Stmt begin, commit, rollback;
    sqlite::Stmt savepoint, releaseSavepoint, rollbackToSavepoint;
    sqlite::Stmt selectReady, leaseItem;
    sqlite::Stmt deleteLeased, deleteMessage, messageBytes, selectLeased, retryLeased,
        releaseLeased, parkLeased, resumeParked, updateMessage;
    sqlite::Stmt insertDeadLetter;
    sqlite::Stmt earliestFuture;
    sqlite::Stmt selectDelivery, upsertDelivery, purgeDeliveries;
    // New items and the messages of those that keep their own (insertItems), in
    // statements of one row or many.
    sqlite::MultiRowInsert insertItems, insertMessages;
};

// Statements of the read connection, used under readMutex_ by stats(), hasPending() and
// waiting().
struct ReadStatements {
    explicit ReadStatements(sqlite::Db& db);

    sqlite::Stmt countLeased;
    sqlite::Stmt hasExecution;
    sqlite::Stmt countWaiting;
    sqlite::Stmt selectWaiting;
};

class SqliteQueue::Impl {
public:
    explicit Impl(SqliteQueueOptions options);
    ~Impl();

    void enqueue(std::vector<NewWorkItem> items);
    void enqueueAsync(std::vector<NewWorkItem> items, Completion done);
    std::optional<std::string> enqueueOnce(const std::string& key, milliseconds window,
                                           std::string executionId,
                                           std::vector<NewWorkItem> items);
    std::vector<WorkItem> take(std::size_t max, milliseconds lease, milliseconds wait);
    void settle(std::vector<Outcome> outcomes);
    std::vector<WorkItem> settleAndTake(std::vector<Outcome> outcomes, std::size_t max,
                                        milliseconds lease);
    void close();
    bool hasPending(const std::string& executionId);
    std::vector<WaitingItem> waiting(const std::string& executionId);
    bool resume(std::int64_t itemId, const std::string& waitToken, std::string message);
    QueueStats stats();

    // Runs `change` on the writer thread inside a batch transaction; returns once
    // committed (QueueUnavailable otherwise, nothing changed).
    void change(std::function<AdminEffects(sqlite::Db&, SqliteHistory&, std::int64_t now)> change);
    // Runs `read` on the read connection, under its mutex; sqlite errors become
    // QueueUnavailable.
    template <class F>
    auto read(const char* what, F read) {
        try {
            std::lock_guard lock(readMutex_);
            return read(*readDb_);
        } catch (const sqlite::Error& e) {
            throw QueueUnavailable(std::string("queue ") + what + ": " + e.what());
        }
    }

private:
    // One caller's request. Shared by the caller (waiting on `done`) and the writer (which
    // fills the results, then fulfils `done`), so neither depends on the other's stack.
    struct Op {
        enum class Kind { enqueue, enqueueOnce, settle, take, resume, change };
        explicit Op(Kind k) : kind(k) {}

        // A webhook call's enqueue: one item, no delivery key.
        bool isSingleEnqueue() const { return kind == Kind::enqueue && items.size() == 1; }

        Kind kind;
        std::vector<NewWorkItem> items;  // enqueue, enqueueOnce
        std::string key;                 // enqueueOnce
        milliseconds window{0};          // enqueueOnce
        std::string executionId;         // enqueueOnce
        std::vector<Outcome> outcomes;   // settle
        std::size_t max = 0;             // take; settle: take this many after (settleAndTake)
        milliseconds lease{0};           // take, and a settle with max
        std::int64_t itemId = 0;         // resume
        std::string waitToken;           // resume
        std::string message;             // resume
        std::function<AdminEffects(std::int64_t now)> change;  // change (QueueAdmin)

        // Results; written by the writer before `done` is fulfilled.
        std::vector<WorkItem> taken;
        std::optional<std::string> duplicateOf;  // enqueueOnce: the key's stored executionId
        bool resumed = false;                    // resume
        std::uint64_t generation = 0;  // generation_ when the batch started
        // How the caller learns the outcome: a waiting thread's promise, or a completion
        // (enqueueAsync) called by the writer.
        std::promise<void> done;
        Completion onDone;

        void finish(std::exception_ptr error) {
            if (onDone) {
                try {
                    onDone(error);
                } catch (...) {
                    // A completion must not take the writer down; it has nothing to undo.
                }
            } else if (error) {
                done.set_exception(error);
            } else {
                done.set_value();
            }
        }
    };
    using Batch = std::vector<std::shared_ptr<Op>>;

    // What a batch changed, applied to the in-memory counters only once it committed.
    struct Effects {
        std::int64_t stored = 0;
        std::int64_t bytes = 0;  // of the stored items' messages
        std::int64_t dead = 0;
        std::int64_t keys = 0;  // rows in deliveries
        bool madeReady = false;  // some item became ready now: takers should look again

        void add(const Effects& other) {
            stored += other.stored;
            bytes += other.bytes;
            dead += other.dead;
            keys += other.keys;
            madeReady = madeReady || other.madeReady;
        }
    };

    void openDatabase();
    std::future<void> submit(const std::shared_ptr<Op>& op);
    std::shared_ptr<Op> settleOp(std::vector<Outcome> outcomes);
    void refuseIfFull(std::int64_t stored, std::int64_t bytes,
                      const std::vector<NewWorkItem>& adding) const;
    bool waitForWork(std::uint64_t seenGeneration, SteadyClock::time_point deadline);

    void writerLoop();
    void restartWalIfOverLimit();
    void idleMaintenance();
    void checkpointerLoop();
    void stopCheckpointer();
    static int onWalCommit(void* self, sqlite3* db, const char* name, int frames);
    void runBatch(Batch& batch, std::uint64_t generation, bool closed);
    // Stamps an op taken into a batch with the batch's generation: whether it runs at all.
    static bool admitOp(Op& op, std::uint64_t generation, bool closed);
    // Adds the ops submitted since the batch was taken to it while the previous commit is
    // still being flushed; false once the syncer is free (or stopping with none pending).
    bool joinWhileFlushing(Batch& batch, std::vector<bool>& skipped,
                           std::vector<std::string>& failures, std::size_t& active);
    // Thrown by applyOps when an op fails on its own data and ops have no savepoints.
    struct OpFailedAlone {};
    // Adds what the ops did to `total`, which also holds the batch's ops applied before
    // (the queue's limits count them).
    void applyOps(Batch& batch, std::size_t from, const std::vector<bool>& skipped,
                  std::vector<std::string>& failures, std::int64_t now, bool isolateOps,
                  Effects& total);
    void applyEnqueue(Op& op, std::int64_t now, Effects& effects);
    std::size_t applyEnqueueRun(const Batch& batch, std::size_t from,
                                const std::vector<bool>& skipped,
                                std::vector<std::string>& failures, std::int64_t now,
                                Effects& total);
    // Stores one new item, ready now, and counts its message's bytes (the caller counts
    // the items: effects.stored, effects.madeReady). `executionSeq`: the execution's
    // history seq (0: none); `shareMessage`: execution_messages row `executionSeq` holds
    // the item's message whole, so the item stores no copy.
    void insertItem(const NewWorkItem& item, std::int64_t now, Effects& effects,
                    std::int64_t executionSeq = 0, bool shareMessage = false);
    // insertItem for many new items, in multi-row statements; `started[i]` is what the
    // history recorded of items[i]'s execution (seq and messageKept as in insertItem).
    void insertItems(std::span<const NewWorkItem* const> items,
                     std::span<const StartedExecution> started, std::int64_t now,
                     Effects& effects);
    void applyEnqueueOnce(Op& op, std::int64_t now, Effects& effects);
    void purgeExpiredKeys(std::int64_t now, Effects& effects);
    void pruneHistory(std::int64_t now, std::int64_t maxExecutions);
    void applySettle(Op& op, std::int64_t now, Effects& effects);
    void applyTake(Op& op, std::int64_t now);
    void applyResume(Op& op, std::int64_t now, Effects& effects);
    // Where a leased item's message is and its size in bytes.
    struct LeasedMessage {
        bool shared = false;  // its execution's (execution_messages), not its own row
        std::int64_t bytes = 0;
    };
    // Deletes a leased item; false if its lease was lost (nothing deleted). Fills
    // `leased` with the item as it was leased.
    bool deleteLeased(std::int64_t itemId, std::int64_t token, Effects& effects,
                      LeasedItem& leased);
    // Reads the leased item for history and, if `message` is given, its message's place
    // and size. Without `message` and with history off it reads nothing and returns true;
    // otherwise false if the lease was lost.
    bool readLeased(std::int64_t itemId, std::int64_t token, LeasedItem& leased,
                    LeasedMessage* message = nullptr);
    std::int64_t messageBytes(std::int64_t itemId);
    std::optional<std::int64_t> queryEarliestFuture(std::int64_t now);
    std::uint64_t newLeaseToken();

    const SqliteQueueOptions options_;
    LockFile lock_;  // declared first: acquired before the database is touched, freed last

    // Destroyed in reverse order: checkpoint and read connections first, statements before
    // their connection, and the write connection last so its close checkpoints the WAL
    // away and removes it.
    std::unique_ptr<sqlite::Db> writeDb_;
    std::unique_ptr<WriteStatements> write_;
    std::unique_ptr<SqliteHistory> history_;  // writer thread only
    std::unique_ptr<sqlite::Db> readDb_;
    std::unique_ptr<ReadStatements> read_;
    std::unique_ptr<sqlite::Db> checkpointDb_;  // checkpointer thread only

    std::mutex readMutex_;  // guards readDb_ and read_

    // Guards the members from here to storedCount_; the two atomics are also read without
    // it (quick checks in take() and enqueue()) but written only under it.
    std::mutex mutex_;
    std::condition_variable writerWake_;  // pending_ grew, or stopping_
    std::condition_variable takersWake_;  // generation_ moved, earliestFutureMs_ changed, closed_
    Batch pending_;
    bool stopping_ = false;
    std::atomic<bool> closed_{false};
    // Bumped after each commit that made items ready now (or whose take came back full:
    // more may be ready); a taker that saw nothing at generation g must look again once
    // it is no longer g.
    std::uint64_t generation_ = 0;
    // Earliest available time after the last batch's clock (a delayed retry or a lease's
    // end): sleeping takers wake then, since an item becomes ready by time alone.
    std::optional<std::int64_t> earliestFutureMs_;
    std::int64_t commits_ = 0;
    std::int64_t committedOps_ = 0;
    std::int64_t deadCount_ = 0;
    std::int64_t keyCount_ = 0;  // rows in deliveries, as last committed
    std::atomic<std::int64_t> storedCount_{0};  // rows in work_items, as last committed
    std::atomic<std::int64_t> storedBytes_{0};  // bytes of their messages, as last committed
    std::atomic<std::int64_t> checkpoints_{0};  // WAL resets

    // Writer thread only (after construction).
    std::uint64_t nextLeaseToken_ = 0;
    std::int64_t pageSize_ = 4096;
    std::int64_t walFrames_ = 0;    // frames in the WAL after the last commit (wal hook)
    int framesAtCheckpointWake_ = 0;  // WAL frames when the checkpointer was last woken
    bool changedSinceIdle_ = true;  // idle maintenance has work to do
    SteadyClock::time_point lastWriteAt_ = SteadyClock::now();  // last commit that wrote
    std::int64_t nextPurgeMs_ = 0;  // wall clock; 0: purge in the first batch
    std::int64_t nextPruneMs_ = 0;  // history retention, like nextPurgeMs_
    // Executions that may be past the history's limits: each new one adds one, each prune
    // sets what it left (writer thread only).
    std::int64_t pruneDue_ = 0;

    // Checkpoints run on their own thread and connection, not inside the writer's COMMIT
    // (SQLite's default): a checkpoint fsyncs the database file, and every caller of that
    // batch would wait for it. Measured at 64 callers: same throughput, p99 enqueue
    // latency ~21 ms -> ~13 ms.
    std::mutex checkpointMutex_;
    std::condition_variable checkpointWake_;
    bool checkpointWanted_ = false;
    // Held while a checkpoint runs, so the writer's RESTART waits for a PASSIVE pass in
    // progress (whose copying it then need not repeat) instead of failing on SQLite's
    // checkpoint lock, which has no busy handler, and letting the WAL grow meanwhile.
    std::mutex checkpointRunning_;
    bool checkpointStop_ = false;

    // Last: started once everything above is ready.
    std::thread checkpointer_;
    // Flushes each commit to the disk and only then answers its callers, while the writer
    // goes on with the next batch. Made after the database (the WAL must exist), stopped
    // after the writer (which hands it the last batch).
    std::unique_ptr<WalSyncer> syncer_;
    std::thread writer_;
};

}  // namespace flowgate::queue
