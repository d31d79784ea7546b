#include "queue/disk_alarm.hpp"

#include <pthread.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace flowgate::queue {

namespace {

std::string mebibytes(std::uint64_t bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
    return text;
}

}  // namespace

DiskAlarm::DiskAlarm(std::filesystem::path dir, std::uint64_t minFreeBytes,
                     std::chrono::milliseconds interval,
                     std::function<void(bool, const std::string&)> onChange)
    : dir_(std::move(dir)),
      minFreeBytes_(minFreeBytes),
      interval_(interval),
      onChange_(std::move(onChange)) {
    check();
    thread_ = std::thread([this] { loop(); });
}

DiskAlarm::~DiskAlarm() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

std::string DiskAlarm::reason() const {
    std::lock_guard lock(mutex_);
    return reason_;
}

void DiskAlarm::check() {
    struct statvfs fs {};
    bool full;
    std::string text;
    if (::statvfs(dir_.c_str(), &fs) != 0) {
        full = true;
        text = "disk alarm: cannot read the free space of " + dir_.string() + ": " +
               std::strerror(errno);
    } else {
        // f_bavail: what an unprivileged writer may still use, the stricter figure.
        const std::uint64_t free = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
        full = free < minFreeBytes_;
        text = std::string(full ? "disk alarm: " : "disk alarm cleared: ") + mebibytes(free) +
               " free on " + dir_.string() + (full ? ", below" : ", at least") + " the " +
               mebibytes(minFreeBytes_) + " watermark (disk.minFreeBytes)";
    }
    {
        std::lock_guard lock(mutex_);
        reason_ = full ? text : std::string();
    }
    if (raised_.exchange(full) != full && onChange_) onChange_(full, text);
}

void DiskAlarm::loop() {
    pthread_setname_np(pthread_self(), "fg-disk-alarm");  // for top -H and profiles
    std::unique_lock lock(mutex_);
    while (!stop_) {
        wake_.wait_for(lock, interval_, [this] { return stop_; });
        if (stop_) return;
        lock.unlock();
        check();
        lock.lock();
    }
}

}  // namespace flowgate::queue
