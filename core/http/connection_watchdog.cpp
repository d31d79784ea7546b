#include "http/connection_watchdog.hpp"

namespace flowgate::http {

namespace {

struct Current {
    ConnectionWatchdog::Entry* entry = nullptr;
    std::int64_t timeoutMs = 0;
};
thread_local Current current;

constexpr std::chrono::milliseconds kScanInterval{100};

}  // namespace

std::int64_t ConnectionWatchdog::nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

ConnectionWatchdog::ConnectionWatchdog(std::chrono::milliseconds requestTimeout)
    : requestTimeout_(requestTimeout), thread_([this] { run(); }) {}

ConnectionWatchdog::~ConnectionWatchdog() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    stop_.notify_all();
    thread_.join();
}

ConnectionWatchdog::Guard::Guard(ConnectionWatchdog& watchdog, const Poco::Net::StreamSocket& socket)
    : watchdog_(watchdog) {
    std::lock_guard lock(watchdog_.mutex_);
    watchdog_.entries_.emplace_front();
    entry_ = watchdog_.entries_.begin();
    entry_->socket = socket;
    entry_->deadlineMs = nowMs() + watchdog_.requestTimeout_.count();
    current = {&*entry_, watchdog_.requestTimeout_.count()};
}

ConnectionWatchdog::Guard::~Guard() {
    current = {};
    std::lock_guard lock(watchdog_.mutex_);
    watchdog_.entries_.erase(entry_);
}

void ConnectionWatchdog::pauseCurrent() {
    if (current.entry) current.entry->deadlineMs = 0;
}

void ConnectionWatchdog::restartCurrent() {
    if (current.entry) current.entry->deadlineMs = nowMs() + current.timeoutMs;
}

std::size_t ConnectionWatchdog::abort(bool includeBusy) {
    std::lock_guard lock(mutex_);
    std::size_t busy = 0;
    for (auto& entry : entries_) {
        if (entry.deadlineMs == 0 && !includeBusy) {
            ++busy;
            continue;
        }
        try {
            entry.socket.shutdown();
        } catch (...) {  // already closed by the peer: nothing left to stop
        }
    }
    return busy;
}

void ConnectionWatchdog::run() {
    std::unique_lock lock(mutex_);
    while (!stop_.wait_for(lock, kScanInterval, [this] { return stopping_; })) {
        const std::int64_t now = nowMs();
        for (auto& entry : entries_) {
            const std::int64_t deadline = entry.deadlineMs;
            if (deadline == 0 || deadline > now) continue;
            entry.deadlineMs = 0;  // once is enough
            try {
                entry.socket.shutdown();
            } catch (...) {
            }
        }
    }
}

}  // namespace flowgate::http
