#include "queue/guarded_queue.hpp"

#include <pthread.h>

#include <algorithm>

namespace flowgate::queue {

GuardedQueue::GuardedQueue(std::unique_ptr<Queue> opened, Opener open, const DiskAlarm& alarm,
                           std::chrono::milliseconds retry,
                           std::function<void(const std::string&)> onOpenFailure)
    : opener_(std::move(open)),
      alarm_(alarm),
      retry_(retry),
      onOpenFailure_(std::move(onOpenFailure)),
      queue_(std::move(opened)) {
    open_ = queue_.get();
    if (!queue_) {
        lastError_ = "still trying to open it";
        openerThread_ = std::thread([this] { openLoop(); });
    }
}

GuardedQueue::~GuardedQueue() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    if (openerThread_.joinable()) openerThread_.join();
}

void GuardedQueue::openLoop() {
    pthread_setname_np(pthread_self(), "fg-queue-open");  // for top -H and profiles
    std::unique_lock lock(mutex_);
    while (!stop_) {
        wake_.wait_for(lock, retry_, [this] { return stop_; });
        if (stop_) return;
        lock.unlock();
        std::string error;
        try {
            auto queue = opener_();
            if (closed_) queue->close();
            queue_ = std::move(queue);
            open_ = queue_.get();
            return;
        } catch (const std::exception& e) {
            error = e.what();
        }
        lock.lock();
        // Logged when it changes, not once a second for as long as the disk stays full.
        if (error != lastError_ && onOpenFailure_) onOpenFailure_(error);
        lastError_ = error;
    }
}

Queue& GuardedQueue::opened() {
    if (Queue* queue = open_.load()) return *queue;
    std::lock_guard lock(mutex_);
    throw QueueUnavailable("the queue is not open yet: " + lastError_);
}

Queue& GuardedQueue::acceptingWork() {
    Queue& queue = opened();
    if (alarm_.raised()) throw QueueUnavailable(alarm_.reason());
    return queue;
}

void GuardedQueue::enqueue(std::vector<NewWorkItem> items) {
    acceptingWork().enqueue(std::move(items));
}

void GuardedQueue::enqueueAsync(std::vector<NewWorkItem> items, Completion done) {
    Queue* queue = nullptr;
    try {
        queue = &acceptingWork();
    } catch (...) {
        return done(std::current_exception());
    }
    queue->enqueueAsync(std::move(items), std::move(done));
}

std::optional<std::string> GuardedQueue::enqueueOnce(const std::string& key,
                                                     std::chrono::milliseconds window,
                                                     std::string executionId,
                                                     std::vector<NewWorkItem> items) {
    return acceptingWork().enqueueOnce(key, window, std::move(executionId), std::move(items));
}

std::vector<WorkItem> GuardedQueue::take(std::size_t max, std::chrono::milliseconds lease,
                                         std::chrono::milliseconds wait) {
    Queue* queue = open_.load();
    if (queue && !alarm_.raised()) return queue->take(max, lease, wait);
    // Paused: nothing to hand out; sleep through the wait (or until close()) so takers do
    // not spin.
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, std::clamp(wait, std::chrono::milliseconds(0), retry_),
                   [this] { return closed_.load(); });
    return {};
}

void GuardedQueue::settle(std::vector<Outcome> outcomes) {
    opened().settle(std::move(outcomes));
}

std::vector<WorkItem> GuardedQueue::settleAndTake(std::vector<Outcome> outcomes,
                                                  std::size_t max,
                                                  std::chrono::milliseconds lease) {
    Queue& queue = opened();
    if (alarm_.raised()) {  // paused, as take() is: settle only
        queue.settle(std::move(outcomes));
        return {};
    }
    return queue.settleAndTake(std::move(outcomes), max, lease);
}

void GuardedQueue::close() {
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
    }
    wake_.notify_all();
    if (Queue* queue = open_.load()) queue->close();
}

bool GuardedQueue::hasPending(const std::string& executionId) {
    return opened().hasPending(executionId);
}

std::vector<WaitingItem> GuardedQueue::waiting(const std::string& executionId) {
    return opened().waiting(executionId);
}

bool GuardedQueue::resume(std::int64_t itemId, const std::string& waitToken, std::string message) {
    return acceptingWork().resume(itemId, waitToken, std::move(message));
}

QueueStats GuardedQueue::stats() {
    return opened().stats();
}

QueueAdmin* GuardedQueue::admin() {
    return opened().admin();
}

ExecutionHistory* GuardedQueue::history() {
    return opened().history();
}

}  // namespace flowgate::queue
