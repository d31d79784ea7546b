// The queue the intake serves: a real queue that may not be open yet, behind the disk
// alarm. Opening is retried in the background while it fails (the disk is full at start),
// so the engine starts and answers 503 instead of exiting. While the alarm is raised,
// new work is refused with QueueUnavailable (503) and take() hands out nothing; settles
// still go through, since finishing work frees space.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "queue/disk_alarm.hpp"
#include "queue/queue.hpp"

namespace flowgate::queue {

class GuardedQueue final : public Queue {
public:
    using Opener = std::function<std::unique_ptr<Queue>()>;

    // Serves `opened`; if it is null, calls `open` every `retry` on a thread of its own
    // until that succeeds, reporting each failure to `onOpenFailure`. `alarm` must outlive
    // the queue.
    GuardedQueue(std::unique_ptr<Queue> opened, Opener open, const DiskAlarm& alarm,
                 std::chrono::milliseconds retry,
                 std::function<void(const std::string&)> onOpenFailure);
    // Stops retrying, then destroys the real queue (which commits what is pending).
    ~GuardedQueue() override;

    bool isOpen() const { return open_.load() != nullptr; }

    void enqueue(std::vector<NewWorkItem> items) override;
    void enqueueAsync(std::vector<NewWorkItem> items, Completion done) override;
    std::optional<std::string> enqueueOnce(const std::string& key, std::chrono::milliseconds window,
                                           std::string executionId,
                                           std::vector<NewWorkItem> items) override;
    std::vector<WorkItem> take(std::size_t max, std::chrono::milliseconds lease,
                               std::chrono::milliseconds wait) override;
    void settle(std::vector<Outcome> outcomes) override;
    std::vector<WorkItem> settleAndTake(std::vector<Outcome> outcomes, std::size_t max,
                                        std::chrono::milliseconds lease) override;
    void close() override;
    bool hasPending(const std::string& executionId) override;
    std::vector<WaitingItem> waiting(const std::string& executionId) override;
    bool resume(std::int64_t itemId, const std::string& waitToken, std::string message) override;
    QueueStats stats() override;
    QueueAdmin* admin() override;  // the open queue's; QueueUnavailable until open
    ExecutionHistory* history() override;

private:
    Queue& opened();         // throws QueueUnavailable until open
    Queue& acceptingWork();  // opened(), and throws while the disk alarm is raised
    void openLoop();

    Opener opener_;
    const DiskAlarm& alarm_;
    const std::chrono::milliseconds retry_;
    std::function<void(const std::string&)> onOpenFailure_;
    std::unique_ptr<Queue> queue_;  // set once, by whoever opened it
    std::atomic<Queue*> open_{nullptr};
    std::mutex mutex_;  // lastError_, stop_, closed_ waits
    std::condition_variable wake_;
    std::string lastError_;
    bool stop_ = false;
    std::atomic<bool> closed_{false};
    std::thread openerThread_;
};

}  // namespace flowgate::queue
