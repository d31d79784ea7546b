// Where a worker gets its work items and sends what became of them. In `flowgate run`
// this is the intake process, reached over a local socket (ipc/queue_client.hpp); the
// worker never opens the queue itself.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "queue/queue.hpp"

namespace flowgate::runtime {

// Called from the worker's one thread, except close(), which may come from any thread.
class WorkSource {
public:
    virtual ~WorkSource() = default;

    // Leases up to `max` ready items, waiting up to `wait` for one. Empty on timeout, while
    // the intake pauses work (disk alarm), or once close() was called. Each item's attempt
    // is counted durably before it is returned. Throws queue::QueueUnavailable.
    virtual std::vector<queue::WorkItem> take(std::size_t max, std::chrono::milliseconds wait) = 0;

    // Applies outcomes in one transaction (queue::Queue::settle). Throws
    // queue::QueueUnavailable; nothing of the call was applied then.
    virtual void settle(std::vector<queue::Outcome> outcomes) = 0;

    // settle(outcomes), then take(max) without waiting, in one trip to the intake and one
    // commit (queue::Queue::settleAndTake). Throws queue::QueueUnavailable; nothing of the
    // outcomes was applied then.
    virtual std::vector<queue::WorkItem> settleAndTake(
        const std::vector<queue::Outcome>& outcomes, std::size_t max) = 0;

    // queue::Queue::hasPending.
    virtual bool hasPending(const std::string& executionId) = 0;

    // Makes take() return empty from now on.
    virtual void close() = 0;
};

}  // namespace flowgate::runtime
