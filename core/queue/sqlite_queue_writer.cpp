// The writer thread: takes every op waiting, applies them in one transaction (group
// commit), also those that arrive while the previous commit is being flushed, and hands
// their answers to the WAL syncer, which gives them to the callers once the commit is on
// the disk.
#include "queue/sqlite_queue_impl.hpp"

#include <pthread.h>

#include "flowgate/common/deferred_wakes.hpp"
#include "queue/sqlite_wal_vfs.hpp"

namespace flowgate::queue {

namespace {

// SQLite errors that concern one operation's data, not the database: the operation fails
// alone (its savepoint is rolled back) and the rest of the batch commits. Anything else
// (FULL, IOERR, NOMEM, BUSY, CORRUPT, ...) fails the whole batch.
bool isPerOpError(const sqlite::Error& e) {
    return e.primaryCode() == SQLITE_CONSTRAINT || e.primaryCode() == SQLITE_TOOBIG;
}

}  // namespace

void SqliteQueue::Impl::writerLoop() {
    pthread_setname_np(pthread_self(), "fg-queue-writer");
    Batch batch;
    for (;;) {
        std::uint64_t generation = 0;
        bool closed = false;
        {
            std::unique_lock lock(mutex_);
            // Idle means no commit wrote anything for a while: takes that find nothing
            // (workers polling an empty queue) keep coming, but they write nothing.
            bool idle = false;
            while (pending_.empty() && !stopping_ && !idle) {
                if (!changedSinceIdle_) {
                    writerWake_.wait(lock);
                } else if (SteadyClock::now() >= lastWriteAt_ + options_.idleCheckpointAfter) {
                    idle = true;
                } else {
                    writerWake_.wait_until(lock, lastWriteAt_ + options_.idleCheckpointAfter);
                }
            }
            if (idle) {
                lock.unlock();
                idleMaintenance();
                continue;
            }
            if (pending_.empty()) {
                return;  // stopping, and everything submitted has been served
            }
            // Take everything waiting: that is the whole of group commit. No waiting for
            // more; the callers that arrive during this commit form the next batch.
            batch.swap(pending_);
            generation = generation_;
            closed = closed_;
        }
        runBatch(batch, generation, closed);
        batch.clear();
        restartWalIfOverLimit();
    }
}

void SqliteQueue::Impl::runBatch(Batch& batch, std::uint64_t generation, bool closed) {
    const std::int64_t now = wallNowMs();
    // Per op: empty if it succeeded, else why it failed alone.
    std::vector<std::string> failures(batch.size());
    std::vector<bool> skipped(batch.size(), false);
    std::size_t active = 0;
    for (std::size_t i = 0; i < batch.size(); ++i) {
        skipped[i] = !admitOp(*batch[i], generation, closed);
        active += skipped[i] ? 0 : 1;
    }

    Effects total;
    std::optional<std::int64_t> earliest;
    // After a failed flush nothing this writes can be trusted to reach the disk.
    std::string batchError = syncer_->failure();
    bool wrote = false;  // the commit skipped its WAL sync: the syncer owes it one
    if (active > 0 && batchError.empty()) {
        sqlite::Db& db = *writeDb_;
        const auto rollbackIfOpen = [&] {
            // SQLite may already have rolled back on its own (FULL, IOERR, ...).
            if (db.autocommit()) return;
            try {
                sqlite::Stmt::Use(write_->rollback)->run();
            } catch (...) {
                // Nothing more to do: the next BEGIN fails too, and reports it.
            }
        };
        const auto applyAndCommit = [&](bool isolateOps) {
            sqlite::Stmt::Use(write_->begin)->run();
            total = Effects{};
            applyOps(batch, 0, skipped, failures, now, isolateOps, total);
            // A commit made while the previous one is being flushed would only wait behind
            // it: apply the ops that arrive meanwhile in this transaction instead, and
            // commit once the disk is free. The flush's wait overlaps their statements, and
            // commits stay as few (and as large) as the disk's flushes allow.
            for (std::size_t from = batch.size();
                 joinWhileFlushing(batch, skipped, failures, active); from = batch.size()) {
                applyOps(batch, from, skipped, failures, wallNowMs(), isolateOps, total);
            }
            if (now >= nextPurgeMs_) {
                purgeExpiredKeys(now, total);
            }
            // Retention is mostly kept while waiting for the disk (joinWhileFlushing);
            // this is the backstop, for a writer that never waits or falls behind.
            if (now >= nextPruneMs_ || pruneDue_ > kPruneDueLimit) {
                pruneHistory(now, SqliteHistory::kPruneBatch);
            }
            earliest = queryEarliestFuture(now);
            sqlite::DeferredWalSync deferred;  // the syncer flushes it (see runBatch's end)
            sqlite::Stmt::Use(write_->commit)->run();
            wrote = deferred.skipped();
        };
        try {
            try {
                applyAndCommit(false);
            } catch (const OpFailedAlone&) {
                // Rare: one op failed on its own data. Start over with each op in its own
                // savepoint, so that op alone is undone and the others commit.
                rollbackIfOpen();
                for (std::size_t i = 0; i < batch.size(); ++i) {
                    batch[i]->taken.clear();
                    batch[i]->duplicateOf.reset();
                    batch[i]->resumed = false;
                    failures[i].clear();
                }
                applyAndCommit(true);
            }
        } catch (const std::exception& e) {
            batchError = e.what();
        } catch (...) {
            batchError = "unknown error";
        }
        if (!batchError.empty()) {
            rollbackIfOpen();
        }
    }

    if (!batchError.empty()) {
        common::DeferredWakes oneWake;  // see below
        for (auto& op : batch) {
            op->taken.clear();  // leases that were never committed
            op->finish(
                std::make_exception_ptr(QueueUnavailable("queue store failed: " + batchError)));
        }
        return;
    }

    // One sleeping taker is woken when items became ready, not all of them: most would
    // find nothing and cost the writer an empty take each. A take that came back full
    // may have left ready items behind, so it counts as making items ready: the next
    // taker is woken by that commit, and so on while there is work.
    bool tookFull = false;
    for (std::size_t i = 0; i < batch.size(); ++i) {
        const Op& op = *batch[i];
        tookFull = tookFull || (!skipped[i] && op.max > 0 && op.taken.size() >= op.max);
    }
    bool wakeOneTaker = false;
    bool wakeAllTakers = false;
    if (active > 0) {
        std::lock_guard lock(mutex_);
        ++commits_;
        for (std::size_t i = 0; i < batch.size(); ++i) {
            committedOps_ += (!skipped[i] && failures[i].empty()) ? 1 : 0;
        }
        storedCount_ += total.stored;
        storedBytes_ += total.bytes;
        deadCount_ += total.dead;
        keyCount_ += total.keys;
        if (total.madeReady || tookFull) {
            ++generation_;
            wakeOneTaker = true;
        }
        // Sleeping takers planned their wake-up on the old earliest time; an earlier one
        // (a retry with a delay, a new lease) means they must plan again.
        if (earliest && (!earliestFutureMs_ || *earliest < *earliestFutureMs_)) {
            wakeAllTakers = true;
        }
        earliestFutureMs_ = earliest;
    }
    if (wakeAllTakers) {
        takersWake_.notify_all();
    } else if (wakeOneTaker) {
        takersWake_.notify_one();
    }
    // Callers learn their outcome only once the commit is on the disk; the writer goes on
    // with the next batch meanwhile. Every batch goes through the syncer, also one that
    // wrote nothing: what it answers (a duplicate delivery, say) may rest on an earlier
    // commit still being flushed. Completions that wake another thread (an HTTP answer for
    // the edge loop) wake it once, after the last: one by one they cost an eventfd write
    // each (1.2-1.6 per commit under load; now at most 1).
    syncer_->afterSync(wrote, [batch = std::move(batch),
                               failures = std::move(failures)](const std::string& error) {
        common::DeferredWakes oneWake;
        for (std::size_t i = 0; i < batch.size(); ++i) {
            if (!error.empty()) batch[i]->taken.clear();  // their leases simply run out
            const std::string& failure = error.empty() ? failures[i] : error;
            batch[i]->finish(failure.empty()
                                 ? nullptr
                                 : std::make_exception_ptr(QueueUnavailable(failure)));
        }
    });
}

// A take after close() gets nothing and does not lease, so shutdown strands no item; a
// settle-and-take after it only settles.
bool SqliteQueue::Impl::admitOp(Op& op, std::uint64_t generation, bool closed) {
    op.generation = generation;
    if (closed && op.kind == Op::Kind::settle) op.max = 0;
    return !(closed && op.kind == Op::Kind::take);
}

bool SqliteQueue::Impl::joinWhileFlushing(Batch& batch, std::vector<bool>& skipped,
                                          std::vector<std::string>& failures,
                                          std::size_t& active) {
    std::unique_lock lock(mutex_);
    const auto mayGoOn = [&] { return !pending_.empty() || stopping_ || !syncer_->busy(); };
    // With nothing to apply the writer would only wait for the disk: it keeps the history
    // within its limits meanwhile, in steps small enough that an op arriving waits little.
    // Done in the batches instead, deleting the oldest executions (cold pages, B-tree
    // rebalancing) delayed every commit it rode on.
    while (!mayGoOn() && pruneDue_ >= kIdlePruneExecutions) {
        lock.unlock();
        pruneHistory(wallNowMs(), kIdlePruneExecutions);
        lock.lock();
    }
    writerWake_.wait(lock, mayGoOn);
    if (pending_.empty()) return false;
    for (auto& op : pending_) {
        const bool runs = admitOp(*op, generation_, closed_);
        active += runs ? 1 : 0;
        skipped.push_back(!runs);
        failures.emplace_back();
        batch.push_back(std::move(op));
    }
    pending_.clear();
    return true;
}

// Applies the batch's ops from `from` on inside the open transaction. Without `isolateOps`
// no op has a savepoint (two statements per op saved on the common path) and an op failing
// on its own data throws OpFailedAlone, so the caller can start over with `isolateOps`:
// then each op runs in its own savepoint and such a failure is recorded in `failures` alone.
void SqliteQueue::Impl::applyOps(Batch& batch, std::size_t from, const std::vector<bool>& skipped,
                                 std::vector<std::string>& failures, std::int64_t now,
                                 bool isolateOps, Effects& total) {
    sqlite::Db& db = *writeDb_;
    for (std::size_t i = from; i < batch.size(); ++i) {
        Op& op = *batch[i];
        if (skipped[i]) {
            continue;
        }
        if (op.kind == Op::Kind::take) {
            applyTake(op, now);  // no per-op failure mode: any error is the store's
            continue;
        }
        if (!isolateOps && op.isSingleEnqueue()) {
            i = applyEnqueueRun(batch, i, skipped, failures, now, total) - 1;
            continue;
        }
        if (op.kind == Op::Kind::enqueue || op.kind == Op::Kind::enqueueOnce) {
            try {
                refuseIfFull(storedCount_.load() + total.stored, storedBytes_.load() + total.bytes,
                             op.items);
            } catch (const QueueUnavailable& e) {
                failures[i] = e.what();
                continue;
            }
        }
        Effects effects;
        if (isolateOps) {
            sqlite::Stmt::Use(write_->savepoint)->run();
        }
        try {
            if (op.kind == Op::Kind::enqueue) {
                applyEnqueue(op, now, effects);
            } else if (op.kind == Op::Kind::enqueueOnce) {
                applyEnqueueOnce(op, now, effects);
            } else if (op.kind == Op::Kind::resume) {
                applyResume(op, now, effects);
            } else if (op.kind == Op::Kind::change) {
                const AdminEffects changed = op.change(now);
                effects.stored += changed.stored;
                effects.bytes += changed.bytes;
                effects.dead += changed.dead;
                effects.madeReady = effects.madeReady || changed.madeReady;
            } else {
                applySettle(op, now, effects);
                if (op.max > 0) applyTake(op, now);  // settleAndTake: after the outcomes
            }
            if (isolateOps) {
                sqlite::Stmt::Use(write_->releaseSavepoint)->run();
            }
            total.add(effects);
        } catch (const sqlite::Error& e) {
            if (!isPerOpError(e) || db.autocommit()) {
                throw;
            }
            if (!isolateOps) {
                throw OpFailedAlone{};
            }
            sqlite::Stmt::Use(write_->rollbackToSavepoint)->run();
            sqlite::Stmt::Use(write_->releaseSavepoint)->run();
            failures[i] = std::string("queue refused the operation: ") + e.what();
        }
    }
}

// Applies the run of single-item enqueues that starts at batch[from] (the common case: one
// webhook call each) in a few multi-row statements, and returns where the run ends. Each is
// first checked against the queue's limits, as applyOps does. A failure on an op's own data
// (a known execution id, a message over the row limit) throws OpFailedAlone: the caller
// starts over with each op on its own.
std::size_t SqliteQueue::Impl::applyEnqueueRun(const Batch& batch, std::size_t from,
                                               const std::vector<bool>& skipped,
                                               std::vector<std::string>& failures, std::int64_t now,
                                               Effects& total) {
    std::vector<const NewWorkItem*> items;
    std::int64_t bytes = 0;
    std::size_t to = from;
    for (; to < batch.size() && (skipped[to] || batch[to]->isSingleEnqueue()); ++to) {
        if (skipped[to]) continue;
        const Op& op = *batch[to];
        try {
            refuseIfFull(
                storedCount_.load() + total.stored + static_cast<std::int64_t>(items.size()),
                storedBytes_.load() + total.bytes + bytes, op.items);
        } catch (const QueueUnavailable& e) {
            failures[to] = e.what();
            continue;
        }
        items.push_back(&op.items.front());
        bytes += static_cast<std::int64_t>(op.items.front().message.size());
    }
    Effects effects;
    try {
        const auto started = history_->startedAll(items, now);
        for (const auto& execution : started) pruneDue_ += execution.seq != 0 ? 1 : 0;
        insertItems(items, started, now, effects);
    } catch (const sqlite::Error& e) {
        if (!isPerOpError(e) || writeDb_->autocommit()) throw;
        throw OpFailedAlone{};
    }
    effects.stored += static_cast<std::int64_t>(items.size());
    effects.madeReady = !items.empty();
    total.add(effects);
    return to;
}

// Like purgeExpiredKeys: a small batch riding on a commit paid for anyway, in its own
// savepoint so that a failing prune costs only itself.
void SqliteQueue::Impl::pruneHistory(std::int64_t now, std::int64_t maxExecutions) {
    sqlite::Db& db = *writeDb_;
    nextPruneMs_ = now + kPurgeIntervalMs;
    sqlite::Stmt::Use(write_->savepoint)->run();
    try {
        pruneDue_ = history_->prune(now, maxExecutions);
        sqlite::Stmt::Use(write_->releaseSavepoint)->run();
    } catch (const sqlite::Error&) {
        if (db.autocommit()) throw;
        sqlite::Stmt::Use(write_->rollbackToSavepoint)->run();
        sqlite::Stmt::Use(write_->releaseSavepoint)->run();
    }
}

}  // namespace flowgate::queue
