// Makes the queue writer's commits durable off the writer's thread.
//
// The writer commits with the WAL's fsync left out (DeferredWalSync), hands the commit's
// completions here and goes on at once. This thread runs one fdatasync on the WAL for all
// the commits queued meanwhile, then their completions, in order. While a flush (0.2-1 ms)
// runs, the writer applies the ops that arrive in an open transaction and commits them when
// told the disk is free (`idle`): the flush overlaps their statements instead of stalling
// them, and a caller still hears of its commit only once the commit is on the disk.
#pragma once

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace flowgate::queue {

class WalSyncer {
public:
    // Flushes a file descriptor's data to the disk: 0, or an errno value.
    using SyncFile = std::function<int(int fd)>;
    // Runs after the sync: with an empty string, or with why the commit may not be durable.
    using AfterSync = std::function<void(const std::string& error)>;

    // Opens `wal` (which must exist) for syncing; `sync` is fdatasync if empty. `idle`, if
    // set, runs on the syncer's thread each time a flush ends with nothing queued behind
    // it (busy() turned false), before that flush's completions run. Throws
    // std::system_error if the file cannot be opened.
    WalSyncer(const std::filesystem::path& wal, SyncFile sync, std::function<void()> idle = {});
    // Syncs and runs everything queued, then stops.
    ~WalSyncer();
    WalSyncer(const WalSyncer&) = delete;
    WalSyncer& operator=(const WalSyncer&) = delete;

    // Runs `then` on the syncer's thread once everything written to the WAL before this
    // call is on the disk. `wrote`: whether the caller's commit skipped a sync; a commit
    // that wrote nothing is still answered in order, after the syncs before it.
    void afterSync(bool wrote, AfterSync then);

    // Why a sync failed, once one has (empty before). After a failed fsync Linux may have
    // dropped the pages it could not write, so nothing written since is trusted: the queue
    // refuses further work until the engine restarts and SQLite recovers the file.
    std::string failure() const;

    // Whether a flush is running or queued: a commit made now would wait for it.
    bool busy() const;

private:
    struct Queued {
        bool wrote;
        AfterSync then;
    };

    void run();

    int fd_ = -1;
    SyncFile sync_;
    std::function<void()> idle_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<Queued> queued_;
    bool flushing_ = false;  // a round is taken and not yet flushed
    bool stopping_ = false;
    std::string failure_;
    std::thread thread_;  // last: starts once everything above is set
};

}  // namespace flowgate::queue
