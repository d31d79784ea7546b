// Keeping the WAL bounded: a background PASSIVE checkpointer, a RESTART between batches
// once the WAL passes its limit, and vacuum plus TRUNCATE when the queue is idle.
#include "queue/sqlite_queue_impl.hpp"

#include <pthread.h>

#include "flowgate/common/thread_priority.hpp"

namespace flowgate::queue {

namespace {

// WAL frames (pages) after which the background checkpointer copies the WAL back into the
// database; SQLite's own default for its automatic checkpoints.
constexpr int kCheckpointFrames = 1000;

// Past kCheckpointFrames the checkpointer is woken once per this many new frames. Woken after
// every commit, it copied a hot page (the right end of a table or index) once per commit:
// 4.0-4.4 pages copied per execution, 57 us of its CPU (queue_bench cycle, 2026-12-02). Per
// 128 new frames: 2.9-3.0 pages, 34-36 us; per 256: 2.4-2.5 pages, 22-30 us; per 512:
// 1.9-2.0 pages, 14-18 us. But each round's copy and database fsync stalls the WAL's
// fsyncs: per 1,000 new frames, durable 202s' p99 at 64 connections went from 9.5-14 ms to
// 29-33 ms (2026-12-02). Measured again on the engine (2026-12-03, 64 connections, webhook
// -> logger, alternating runs): 256 took the checkpointer from 5.7-6.6 to 4.4-4.8 us of CPU
// per durable 202 with p99 6.8-8.3 ms (128: 6.0-11.5 ms); 512 to 3.5-3.8 us, but p99
// 8.9-10.4 ms.
constexpr int kCheckpointEveryFrames = 256;

// Free pages given back to the file system per transaction by incremental vacuum, so that
// the writer is never held up long by it (4 MiB at the default page size).
constexpr std::int64_t kVacuumPages = 1024;

}  // namespace

void SqliteQueue::Impl::stopCheckpointer() {
    {
        std::lock_guard lock(checkpointMutex_);
        checkpointStop_ = true;
    }
    checkpointWake_.notify_one();
    checkpointer_.join();
}

// Called by SQLite on the writer thread after each commit, with the WAL's size in frames.
int SqliteQueue::Impl::onWalCommit(void* self, sqlite3*, const char*, int frames) {
    auto* impl = static_cast<Impl*>(self);
    impl->walFrames_ = frames;
    impl->changedSinceIdle_ = true;
    impl->lastWriteAt_ = SteadyClock::now();
    // The WAL started over (RESTART, or a PASSIVE pass that copied everything): count
    // from its beginning.
    if (frames < impl->framesAtCheckpointWake_) impl->framesAtCheckpointWake_ = 0;
    if (frames >= kCheckpointFrames &&
        frames - impl->framesAtCheckpointWake_ >= kCheckpointEveryFrames) {
        impl->framesAtCheckpointWake_ = frames;
        {
            std::lock_guard lock(impl->checkpointMutex_);
            impl->checkpointWanted_ = true;
        }
        impl->checkpointWake_.notify_one();
    }
    return SQLITE_OK;
}

void SqliteQueue::Impl::checkpointerLoop() {
    pthread_setname_np(pthread_self(), "fg-queue-ckpt");
    common::runThisThreadNicer(options_.checkpointerNice);
    for (;;) {
        {
            std::unique_lock lock(checkpointMutex_);
            checkpointWake_.wait(lock, [this] { return checkpointWanted_ || checkpointStop_; });
            if (checkpointStop_) {
                return;
            }
            checkpointWanted_ = false;
        }
        // PASSIVE: copies what it can without blocking the writer or readers, so that the
        // writer's own RESTART (restartWalIfOverLimit) finds little left to copy. Alone it
        // would not bound the WAL: under a steady stream of commits new frames arrive while
        // it copies, the WAL is never wholly copied when a transaction starts, and SQLite
        // only starts a WAL over then. A failure (BUSY, I/O) just leaves more for RESTART.
        std::lock_guard running(checkpointRunning_);
        sqlite3_wal_checkpoint_v2(checkpointDb_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                  nullptr, nullptr);
    }
}

// Between two batches (no transaction open; the last batch's callers may still wait for
// its flush, which this does not need: a checkpoint syncs the WAL before it copies it):
// a RESTART checkpoint copies what the background checkpointer has not, waits for readers
// to leave the WAL, and makes the next commit write the WAL from its beginning. Only the
// callers arriving meanwhile wait, for one copy of at most the WAL limit's worth of pages.
// A failure (a reader held the WAL past the busy timeout, an I/O error) leaves the WAL as
// it is; the next batch tries again.
void SqliteQueue::Impl::restartWalIfOverLimit() {
    if (static_cast<std::uint64_t>(walFrames_) * static_cast<std::uint64_t>(pageSize_ + 24) <
        options_.walLimitBytes) {
        return;
    }
    int logFrames = 0;
    int copiedFrames = 0;
    std::lock_guard running(checkpointRunning_);
    const int rc = sqlite3_wal_checkpoint_v2(writeDb_->handle(), nullptr, SQLITE_CHECKPOINT_RESTART,
                                             &logFrames, &copiedFrames);
    if (rc == SQLITE_OK) {
        walFrames_ = 0;
        ++checkpoints_;
    }
}

// The queue is idle: give free pages back to the file system, then empty the WAL file.
// Each vacuum step is its own short transaction, so an operation arriving meanwhile waits
// for one step at most; it then goes first and maintenance resumes at the next idle time.
void SqliteQueue::Impl::idleMaintenance() {
    try {
        const std::string vacuumStep =
            "PRAGMA incremental_vacuum(" + std::to_string(kVacuumPages) + ")";
        // Stops when nothing is free, or nothing moved (a file whose mode is not incremental).
        for (std::int64_t free = writeDb_->queryInt("PRAGMA freelist_count"), before = -1;
             free > 0 && free != before;
             before = free, free = writeDb_->queryInt("PRAGMA freelist_count")) {
            {
                std::lock_guard lock(mutex_);
                if (!pending_.empty() || stopping_) return;
            }
            writeDb_->exec(vacuumStep.c_str());
            restartWalIfOverLimit();  // a step moves pages: the WAL grows as under load
        }
        int logFrames = 0;
        int copiedFrames = 0;
        std::lock_guard running(checkpointRunning_);
        if (sqlite3_wal_checkpoint_v2(writeDb_->handle(), nullptr, SQLITE_CHECKPOINT_TRUNCATE,
                                      &logFrames, &copiedFrames) == SQLITE_OK) {
            walFrames_ = 0;
            ++checkpoints_;
            changedSinceIdle_ = false;
            return;
        }
    } catch (const sqlite::Error&) {
        // A full disk or I/O error: the next batch reports it to its callers.
    }
    lastWriteAt_ = SteadyClock::now();  // try again after another idle period
}

}  // namespace flowgate::queue
