#include "queue/wal_syncer.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace flowgate::queue {

namespace {

int fdatasyncFile(int fd) {
    int rc = 0;
    do {
        rc = ::fdatasync(fd);
    } while (rc != 0 && errno == EINTR);
    return rc == 0 ? 0 : errno;
}

}  // namespace

WalSyncer::WalSyncer(const std::filesystem::path& wal, SyncFile sync, std::function<void()> idle)
    : sync_(sync ? std::move(sync) : SyncFile(fdatasyncFile)), idle_(std::move(idle)) {
    // Read-only is enough: fdatasync flushes the file's dirty pages whichever descriptor
    // asks, and this one never writes.
    fd_ = ::open(wal.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
        throw std::system_error(errno, std::generic_category(), "cannot open " + wal.string());
    }
    try {
        thread_ = std::thread([this] { run(); });
    } catch (...) {
        ::close(fd_);
        throw;
    }
}

WalSyncer::~WalSyncer() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
    ::close(fd_);
}

void WalSyncer::afterSync(bool wrote, AfterSync then) {
    bool wake = false;
    {
        std::lock_guard lock(mutex_);
        wake = queued_.empty();  // else the thread was woken already, or looks again
        queued_.push_back({wrote, std::move(then)});
    }
    if (wake) wake_.notify_one();
}

bool WalSyncer::busy() const {
    std::lock_guard lock(mutex_);
    return flushing_ || !queued_.empty();
}

std::string WalSyncer::failure() const {
    std::lock_guard lock(mutex_);
    return failure_;
}

void WalSyncer::run() {
    pthread_setname_np(pthread_self(), "fg-queue-sync");
    std::vector<Queued> round;
    for (;;) {
        std::string error;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return !queued_.empty() || stopping_; });
            if (queued_.empty()) return;  // stopping, and everything queued was answered
            round.swap(queued_);
            error = failure_;
            flushing_ = true;
        }
        bool wrote = false;
        for (const auto& queued : round) wrote = wrote || queued.wrote;
        // One sync covers every commit of the round: the WAL is written in order, and
        // the commits of earlier rounds were synced before them.
        const int rc = wrote && error.empty() ? sync_(fd_) : 0;
        bool nowIdle = false;
        {
            std::lock_guard lock(mutex_);
            if (rc != 0) {
                error = std::string("the queue's WAL could not be flushed to disk (") +
                        std::strerror(rc) + "): restart the engine";
                failure_ = error;
            }
            flushing_ = false;
            nowIdle = queued_.empty();
        }
        // Before the completions: the writer can commit its next batch while they run.
        if (nowIdle && idle_) idle_();
        for (auto& queued : round) queued.then(error);
        round.clear();
    }
}

}  // namespace flowgate::queue
