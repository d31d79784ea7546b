// The disk alarm: raised while the file system of the data directory has less than a
// watermark of free space, like RabbitMQ's. Webhooks are refused (503) and workers take
// nothing while it is raised, so a full disk never half-stores anything and never
// crashes the engine; it clears by itself when space comes back.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace flowgate::queue {

class DiskAlarm {
public:
    // Checks at once, then every `interval` on its own thread. `onChange(raised, text)`
    // runs on that thread (and in the constructor) whenever the alarm is raised or
    // cleared; `text` says why. A file system that cannot be read counts as full.
    DiskAlarm(std::filesystem::path dir, std::uint64_t minFreeBytes,
              std::chrono::milliseconds interval,
              std::function<void(bool raised, const std::string& text)> onChange);
    ~DiskAlarm();

    DiskAlarm(const DiskAlarm&) = delete;
    DiskAlarm& operator=(const DiskAlarm&) = delete;

    bool raised() const { return raised_; }
    // Why it is raised: "disk alarm: 1.2 MiB free on /data, below the 8.0 MiB watermark".
    std::string reason() const;

private:
    void check();
    void loop();

    const std::filesystem::path dir_;
    const std::uint64_t minFreeBytes_;
    const std::chrono::milliseconds interval_;
    const std::function<void(bool, const std::string&)> onChange_;
    std::atomic<bool> raised_{false};
    mutable std::mutex mutex_;  // reason_, stop_
    std::string reason_;
    bool stop_ = false;
    std::condition_variable wake_;
    std::thread thread_;
};

}  // namespace flowgate::queue
