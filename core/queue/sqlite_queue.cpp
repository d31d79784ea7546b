#include "queue/sqlite_queue_impl.hpp"

#include <random>
#include <stdexcept>
#include <utility>

#include "queue/sqlite_history_reader.hpp"

namespace flowgate::queue {

namespace {

// Longest take() wait honoured; longer ones are cut to it so deadline arithmetic cannot
// overflow. A caller asking for more simply gets an empty answer after a year.
constexpr milliseconds kMaxWait = std::chrono::hours(24 * 365);

std::filesystem::path prepareDir(const std::filesystem::path& dir) {
    if (dir.empty()) {
        throw std::invalid_argument("SqliteQueue: dataDir is empty");
    }
    std::filesystem::create_directories(dir);
    return dir;
}

}  // namespace

SqliteQueue::Impl::Impl(SqliteQueueOptions options)
    : options_(std::move(options)),
      lock_(prepareDir(options_.dataDir) / "queue.lock") {
    openDatabase();

    // Tokens only need to differ from every token this process handed out before: older
    // processes' tokens were all cleared on open. A random start makes a token from a
    // confused caller of another queue instance very unlikely to match; kept below 2^62 so
    // it survives the trip through SQLite's signed 64-bit integers unchanged.
    std::random_device random;
    const std::uint64_t seed = (std::uint64_t{random()} << 32) ^ random();
    nextLeaseToken_ = (seed & ((std::uint64_t{1} << 61) - 1)) + 1;

    checkpointer_ = std::thread([this] { checkpointerLoop(); });
    try {
        syncer_ = std::make_unique<WalSyncer>(
            options_.dataDir / (options_.fileName + "-wal"), options_.syncWal, [this] {
                // The writer may be holding a batch until the disk is free (joinWhileFlushing).
                std::lock_guard lock(mutex_);
                writerWake_.notify_one();
            });
        writer_ = std::thread([this] { writerLoop(); });
    } catch (...) {
        syncer_.reset();
        stopCheckpointer();  // a joinable std::thread must not be destroyed
        throw;
    }
}

SqliteQueue::Impl::~Impl() {
    close();
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    writerWake_.notify_one();
    // The writer commits whatever is still pending before it returns.
    writer_.join();
    syncer_.reset();  // answers the last batches once they are on the disk
    stopCheckpointer();
    // Closing the write connection last checkpoints what is left and removes the WAL.
}

std::future<void> SqliteQueue::Impl::submit(const std::shared_ptr<Op>& op) {
    auto future = op->done.get_future();
    bool wake = false;
    {
        std::lock_guard lock(mutex_);
        if (stopping_) {
            throw QueueUnavailable("queue is shutting down");
        }
        // Not empty: the writer was woken already, or is committing and looks again after.
        wake = pending_.empty();
        pending_.push_back(op);
    }
    if (wake) writerWake_.notify_one();
    return future;
}

void SqliteQueue::Impl::refuseIfFull(std::int64_t stored, std::int64_t bytes,
                                     const std::vector<NewWorkItem>& adding) const {
    // Adding nothing never makes the queue fuller, even past a limit settle() overran.
    if (adding.empty()) return;
    if (static_cast<std::uint64_t>(stored) + adding.size() > options_.maxReady) {
        throw QueueUnavailable("queue full: " + std::to_string(stored) + " items stored, limit " +
                               std::to_string(options_.maxReady) + ", cannot add " +
                               std::to_string(adding.size()));
    }
    if (options_.maxBacklogBytes == 0) return;
    std::uint64_t addingBytes = 0;
    for (const auto& item : adding) addingBytes += item.message.size();
    if (static_cast<std::uint64_t>(std::max<std::int64_t>(bytes, 0)) + addingBytes >
        options_.maxBacklogBytes) {
        throw QueueUnavailable("backlog full: " + std::to_string(bytes) + " bytes stored, limit " +
                               std::to_string(options_.maxBacklogBytes) + ", cannot add " +
                               std::to_string(addingBytes));
    }
}

void SqliteQueue::Impl::enqueue(std::vector<NewWorkItem> items) {
    if (items.empty()) {
        return;
    }
    // Early refusal without waiting for a commit, which matters most when overloaded. The
    // writer checks again against the exact count.
    refuseIfFull(storedCount_.load(), storedBytes_.load(), items);
    auto op = std::make_shared<Op>(Op::Kind::enqueue);
    op->items = std::move(items);
    submit(op).get();
}

void SqliteQueue::Impl::enqueueAsync(std::vector<NewWorkItem> items, Completion done) {
    if (items.empty()) return done(nullptr);
    auto op = std::make_shared<Op>(Op::Kind::enqueue);
    try {
        refuseIfFull(storedCount_.load(), storedBytes_.load(), items);
        op->items = std::move(items);
        op->onDone = std::move(done);
        submit(op);
    } catch (...) {
        // Refused before the writer saw it; `done` was not handed over if submit threw.
        if (op->onDone) done = std::move(op->onDone);
        done(std::current_exception());
    }
}

std::vector<WorkItem> SqliteQueue::Impl::take(std::size_t max, milliseconds lease,
                                              milliseconds wait) {
    if (lease.count() <= 0) {
        throw std::invalid_argument("take: lease must be positive");
    }
    if (max == 0) {
        return {};
    }
    const auto deadline = SteadyClock::now() + std::clamp(wait, milliseconds(0), kMaxWait);
    for (;;) {
        if (closed_) {
            return {};
        }
        auto op = std::make_shared<Op>(Op::Kind::take);
        op->max = max;
        op->lease = lease;
        submit(op).get();
        if (!op->taken.empty()) {
            return std::move(op->taken);
        }
        if (!waitForWork(op->generation, deadline)) {
            return {};
        }
    }
}

// Sleeps until taking again may find something: an item became ready (generation moved),
// or the earliest delayed item or lease comes due. False on close() or at the deadline.
bool SqliteQueue::Impl::waitForWork(std::uint64_t seenGeneration,
                                    SteadyClock::time_point deadline) {
    std::unique_lock lock(mutex_);
    for (;;) {
        if (closed_) {
            return false;
        }
        if (generation_ != seenGeneration) {
            return true;
        }
        const auto now = SteadyClock::now();
        if (now >= deadline) {
            return false;
        }
        auto wakeAt = deadline;
        if (earliestFutureMs_) {
            const std::int64_t untilDue = *earliestFutureMs_ - wallNowMs();
            if (untilDue <= 0) {
                return true;
            }
            // Compared in milliseconds: a far-off due time (a release with a huge delay)
            // converted to the steady clock's nanoseconds would overflow.
            if (untilDue < std::chrono::duration_cast<milliseconds>(deadline - now).count()) {
                wakeAt = now + milliseconds(untilDue);
            }
        }
        takersWake_.wait_until(lock, wakeAt);
    }
}

void SqliteQueue::Impl::settle(std::vector<Outcome> outcomes) {
    if (outcomes.empty()) {
        return;
    }
    submit(settleOp(std::move(outcomes))).get();
}

std::vector<WorkItem> SqliteQueue::Impl::settleAndTake(std::vector<Outcome> outcomes,
                                                       std::size_t max, milliseconds lease) {
    if (lease.count() <= 0) {
        throw std::invalid_argument("settleAndTake: lease must be positive");
    }
    if (outcomes.empty()) {
        return take(max, lease, milliseconds(0));
    }
    auto op = settleOp(std::move(outcomes));
    op->max = max;  // none after close(): the writer sees to it
    op->lease = lease;
    submit(op).get();
    return std::move(op->taken);
}

// A settle op for `outcomes`, checked first: a malformed outcome is the caller's bug.
std::shared_ptr<SqliteQueue::Impl::Op> SqliteQueue::Impl::settleOp(std::vector<Outcome> outcomes) {
    for (const auto& outcome : outcomes) {
        switch (outcome.kind) {
        case Outcome::Kind::completed:
            break;
        case Outcome::Kind::wait:
            if (outcome.waitToken.empty()) {
                throw std::invalid_argument("settle: a wait outcome needs a wait token (item " +
                                            std::to_string(outcome.itemId) + ")");
            }
            [[fallthrough]];
        case Outcome::Kind::retry:
        case Outcome::Kind::deadLetter:
        case Outcome::Kind::release:
            // Silently dropping them would lose messages a step emitted.
            if (!outcome.next.empty()) {
                throw std::invalid_argument("settle: only a completed outcome may carry next "
                                            "items (item " +
                                            std::to_string(outcome.itemId) + ")");
            }
            break;
        default:
            throw std::invalid_argument("settle: unknown outcome kind");
        }
    }
    auto op = std::make_shared<Op>(Op::Kind::settle);
    op->outcomes = std::move(outcomes);
    return op;
}

bool SqliteQueue::Impl::hasPending(const std::string& executionId) {
    try {
        std::lock_guard lock(readMutex_);
        sqlite::Stmt::Use use(read_->hasExecution);
        use->bind(1, executionId);
        return use->step() && use->columnInt(0) != 0;
    } catch (const sqlite::Error& e) {
        throw QueueUnavailable(std::string("queue hasPending: ") + e.what());
    }
}

void SqliteQueue::Impl::change(
    std::function<AdminEffects(sqlite::Db&, SqliteHistory&, std::int64_t now)> change) {
    auto op = std::make_shared<Op>(Op::Kind::change);
    op->change = [this, change = std::move(change)](std::int64_t now) {
        return change(*writeDb_, *history_, now);
    };
    submit(op).get();
}

void SqliteQueue::Impl::close() {
    {
        // Under the mutex so a taker between its check and its wait cannot miss it.
        std::lock_guard lock(mutex_);
        closed_ = true;
    }
    takersWake_.notify_all();
}

QueueStats SqliteQueue::Impl::stats() {
    QueueStats stats;
    std::int64_t stored = 0;
    {
        std::lock_guard lock(mutex_);
        stats.commits = commits_;
        stats.committedOps = committedOps_;
        stats.deadLetters = deadCount_;
        stats.dedupeKeys = keyCount_;
        stored = storedCount_;
    }
    stats.backlogBytes = storedBytes_.load();
    stats.checkpoints = checkpoints_.load();
    const auto file = options_.dataDir / options_.fileName;
    std::error_code ec;
    const auto dbSize = std::filesystem::file_size(file, ec);
    stats.databaseBytes = ec ? 0 : static_cast<std::int64_t>(dbSize);
    const auto walSize = std::filesystem::file_size(file.string() + "-wal", ec);
    stats.walBytes = ec ? 0 : static_cast<std::int64_t>(walSize);
    std::int64_t leased = 0;
    try {
        std::lock_guard lock(readMutex_);
        sqlite::Stmt::Use use(read_->countLeased);
        use->bind(1, wallNowMs());
        if (use->step()) {
            leased = use->columnInt(0);
        }
        sqlite::Stmt::Use waiting(read_->countWaiting);
        if (waiting->step()) {
            stats.waiting = waiting->columnInt(0);
        }
    } catch (const sqlite::Error& e) {
        throw QueueUnavailable(std::string("queue stats: ") + e.what());
    }
    // The two reads are not one snapshot; keep the numbers consistent with each other.
    stats.leased = std::min(leased, stored);
    stats.ready = stored - stats.leased;
    return stats;
}

SqliteQueue::SqliteQueue(SqliteQueueOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

SqliteQueue::~SqliteQueue() = default;

void SqliteQueue::enqueue(std::vector<NewWorkItem> items) { impl_->enqueue(std::move(items)); }

void SqliteQueue::enqueueAsync(std::vector<NewWorkItem> items, Completion done) {
    impl_->enqueueAsync(std::move(items), std::move(done));
}

std::optional<std::string> SqliteQueue::enqueueOnce(const std::string& key,
                                                    std::chrono::milliseconds window,
                                                    std::string executionId,
                                                    std::vector<NewWorkItem> items) {
    return impl_->enqueueOnce(key, window, std::move(executionId), std::move(items));
}

std::vector<WorkItem> SqliteQueue::take(std::size_t max, std::chrono::milliseconds lease,
                                        std::chrono::milliseconds wait) {
    return impl_->take(max, lease, wait);
}

void SqliteQueue::settle(std::vector<Outcome> outcomes) { impl_->settle(std::move(outcomes)); }

std::vector<WorkItem> SqliteQueue::settleAndTake(std::vector<Outcome> outcomes, std::size_t max,
                                                 std::chrono::milliseconds lease) {
    return impl_->settleAndTake(std::move(outcomes), max, lease);
}

void SqliteQueue::close() { impl_->close(); }

bool SqliteQueue::hasPending(const std::string& executionId) {
    return impl_->hasPending(executionId);
}

std::vector<WaitingItem> SqliteQueue::waiting(const std::string& executionId) {
    return impl_->waiting(executionId);
}

bool SqliteQueue::resume(std::int64_t itemId, const std::string& waitToken,
                         std::string message) {
    return impl_->resume(itemId, waitToken, std::move(message));
}

QueueStats SqliteQueue::stats() { return impl_->stats(); }

void SqliteQueue::setPaused(const std::string& flowId, bool paused) {
    impl_->change([&](sqlite::Db& db, SqliteHistory&, std::int64_t now) {
        return setPausedIn(db, flowId, paused, now);
    });
}

std::set<std::string> SqliteQueue::pausedFlows() {
    return impl_->read("paused flows", [](sqlite::Db& db) { return readPausedFlows(db); });
}

DeadLetterPage SqliteQueue::deadLetterPage(const DeadLetterQuery& query) {
    return impl_->read("dead letters",
                       [&](sqlite::Db& db) { return readDeadLetterPage(db, query); });
}

std::optional<std::string> SqliteQueue::replayDeadLetter(std::int64_t id) {
    // Written by the writer thread before the caller's future is fulfilled.
    auto result = std::make_shared<std::optional<std::string>>();
    impl_->change([id, result](sqlite::Db& db, SqliteHistory& history, std::int64_t now) {
        std::int64_t count = 0;
        result->reset();
        return replayIn(db, history, {}, id, 1, now, *result, count);
    });
    return *result;
}

std::int64_t SqliteQueue::replayDeadLetters(const DeadLetterQuery& query, std::size_t max) {
    auto count = std::make_shared<std::int64_t>(0);
    impl_->change([query, max, count](sqlite::Db& db, SqliteHistory& history, std::int64_t now) {
        std::optional<std::string> first;
        *count = 0;  // a batch retried with savepoints runs the change again
        return replayIn(db, history, query, std::nullopt, max, now, first, *count);
    });
    return *count;
}

bool SqliteQueue::deleteDeadLetter(std::int64_t id) {
    auto deleted = std::make_shared<bool>(false);
    impl_->change([id, deleted](sqlite::Db& db, SqliteHistory&, std::int64_t) {
        return deleteDeadLetterIn(db, id, *deleted);
    });
    return *deleted;
}

ExecutionPage SqliteQueue::executions(const ExecutionQuery& query) {
    return impl_->read("executions", [&](sqlite::Db& db) { return readExecutions(db, query); });
}

std::optional<ExecutionDetail> SqliteQueue::execution(const std::string& requestId) {
    return impl_->read("execution", [&](sqlite::Db& db) { return readExecution(db, requestId); });
}

std::map<std::string, FlowActivity> SqliteQueue::flowActivity() {
    return impl_->read("flow activity", [](sqlite::Db& db) { return readFlowActivity(db); });
}

}  // namespace flowgate::queue
