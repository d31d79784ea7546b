// Shared fixture of the SqliteQueue tests: a fresh data directory per test and helpers
// that make, lease and settle work items.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "queue/sqlite_queue.hpp"
#include "support/temp_dir.hpp"

namespace flowgate::test {

// A fresh directory per test (removed afterwards) to hold the queue's files.
class QueueTempDir : public TempDir {
public:
    queue::SqliteQueueOptions options() const {
        queue::SqliteQueueOptions options;
        options.dataDir = path();
        return options;
    }
};

inline queue::NewWorkItem item(const std::string& message, const std::string& step = "step-1") {
    return queue::NewWorkItem{"flow-a", "exec-" + message, step, message};
}

inline queue::Outcome outcome(const queue::WorkItem& leased, queue::Outcome::Kind kind) {
    queue::Outcome o;
    o.itemId = leased.id;
    o.leaseToken = leased.leaseToken;
    o.kind = kind;
    return o;
}

// Leases everything ready now, without waiting.
inline std::vector<queue::WorkItem> takeAll(
    queue::SqliteQueue& queue, std::chrono::milliseconds lease = std::chrono::seconds(30)) {
    return queue.take(1000, lease, std::chrono::milliseconds(0));
}

}  // namespace flowgate::test
