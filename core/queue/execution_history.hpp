// The read side of the execution history: what happened to each webhook call (an
// execution) and to each step attempt of it. Written by the queue in the same transaction
// as the queue operations it describes (sqlite_history.hpp); read here by the admin API.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace flowgate::queue {

// One execution. `status` is one of: running (an item is stored and the last attempt did
// not fail), failed (the last attempt failed and a retry is pending), waiting (only parked
// items are left), succeeded (nothing left, no dead letter), dead (a dead letter of it
// exists; a replay takes it back to running).
struct ExecutionRecord {
    std::int64_t seq = 0;  // insertion order: newest has the highest
    std::string requestId;
    std::string flowId;
    std::string status;
    std::int64_t receivedAtMs = 0;  // Unix epoch milliseconds
    std::int64_t updatedAtMs = 0;
    std::string deliveryId;  // the sender's delivery id (de-duplicated flows); "" if none
    std::string message;     // the first item's message, capped (see HistoryOptions)
};

struct AttemptRecord {
    std::string stepId;
    int attempt = 0;  // 1 for the first try; 0 for a replay marker
    std::int64_t startedAtMs = 0;
    std::int64_t durationMs = 0;
    // completed, failed, retry, dead, waiting, released, lost, replayed
    std::string outcome;
    std::string error;
};

struct ExecutionDetail {
    ExecutionRecord execution;
    std::vector<AttemptRecord> attempts;  // oldest first
};

// Filters of a page of executions; empty/absent fields do not filter. Newest first.
struct ExecutionQuery {
    std::string flowId;
    std::string status;
    std::optional<std::int64_t> sinceMs;    // receivedAt >= since
    std::optional<std::int64_t> untilMs;    // receivedAt < until
    std::optional<std::int64_t> beforeSeq;  // the cursor: only seq < beforeSeq
    std::size_t limit = 50;
};

struct ExecutionPage {
    std::vector<ExecutionRecord> items;  // `message` is left empty in pages
    std::optional<std::int64_t> nextBeforeSeq;
};

// Per flow: executions by status, and the flow's stored work items.
struct FlowActivity {
    std::map<std::string, std::int64_t> byStatus;
    std::int64_t received = 0;  // executions in the history (within retention)
    std::int64_t queueDepth = 0;
};

// Thread-safe; reads never wait for the queue's writer. Throws QueueUnavailable when
// the store cannot be read.
class ExecutionHistory {
public:
    virtual ~ExecutionHistory() = default;
    virtual ExecutionPage executions(const ExecutionQuery& query) = 0;
    virtual std::optional<ExecutionDetail> execution(const std::string& requestId) = 0;
    virtual std::map<std::string, FlowActivity> flowActivity() = 0;
};

}  // namespace flowgate::queue
