// The write side of the execution history (queue/execution_history.hpp) in the queue's
// SQLite file. Private to the queue library: SqliteQueue calls it from its writer thread,
// inside the batch transaction of the queue operations being recorded, so history costs
// no commit or fsync of its own and can never disagree with the queue.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "queue/queue.hpp"
#include "queue/sqlite_db.hpp"
#include "queue/sqlite_multi_row.hpp"

namespace flowgate::queue {

struct HistoryOptions {
    bool enabled = true;
    // Longer input messages are stored as {"truncated": true, "bytes": N}.
    std::size_t maxMessageBytes = 64 * 1024;
    // Executions received longer ago than this, or beyond the newest maxExecutions, are
    // deleted (with their attempts) in small batches.
    std::chrono::milliseconds maxAge = std::chrono::hours(24 * 7);
    std::int64_t maxExecutions = 100'000;
};

// Creates the history tables (idempotent; run inside the opening transaction), and
// records an attempt "lost" for each item still leased by a process that is gone. Must
// run before the leases are cleared.
void createHistorySchema(sqlite::Db& db, std::int64_t now);

// SQL that is true while an item of the execution with id ?1 and seq `seq` (an SQL
// expression) is stored and meets `condition` (e.g. " AND wait_token IS NULL"): items
// with a seq are indexed by it, the others by id (see kExecutionIndexes).
inline std::string itemsOfExecution(const std::string& seq, const char* condition = "") {
    return "(EXISTS (SELECT 1 FROM work_items WHERE execution_seq = " + seq + condition +
           ") OR EXISTS (SELECT 1 FROM work_items WHERE execution_seq IS NULL "
           "AND execution_id = ?1" + condition + "))";
}

// What history needs to know of a leased item before its outcome changes it.
struct LeasedItem {
    std::string executionId;
    std::string stepId;
    int attempt = 0;
    std::int64_t leasedAtMs = 0;
    // The execution's seq as stored with the item; 0 if unknown (then looked up by id).
    std::int64_t executionSeq = 0;
};

// What started() recorded: the execution's seq (0: nothing, history off or the execution
// known already) and whether execution_messages holds the message whole, so the item may
// share it instead of storing a copy.
struct StartedExecution {
    std::int64_t seq = 0;
    bool messageKept = false;
};

// Writer thread only. Statements are prepared once on the write connection.
class SqliteHistory {
public:
    SqliteHistory(sqlite::Db& db, HistoryOptions options);

    // A new execution (the first item of a webhook call); a second call for the same
    // execution changes nothing. `deliveryId` may be empty.
    StartedExecution started(const std::string& executionId, const std::string& flowId,
                 const std::string& message, const std::string& deliveryId, std::int64_t now);
    // started() for many new executions at once (a batch of webhook calls, none with a
    // delivery id): their rows in a few multi-row statements. Each must be new to the
    // history and to `items`: a known one fails the statement with SQLITE_CONSTRAINT, and
    // the caller starts over one by one. Returns one StartedExecution per item, in order.
    std::vector<StartedExecution> startedAll(const std::vector<const NewWorkItem*>& items,
                                             std::int64_t now);
    bool enabled() const { return options_.enabled; }
    // An attempt of leased item `item` ended with `outcome` (the queue reads `item` from
    // the row before it changes it). `status`: the execution's new status as the outcome
    // implies it, or nullptr to look (a completed or parked step: other items of the
    // execution may remain). A dead execution stays dead. `chained`: the steps run after
    // the item's in the same attempt, each recorded as an attempt of its own step.
    void attempt(const LeasedItem& item, const char* outcome, const std::string& error,
                 std::int64_t now, const char* status,
                 const std::vector<ChainedRun>& chained = {});
    // take() found `item` with an expired lease: the earlier attempt never reported.
    void lost(const LeasedItem& item, std::int64_t now);
    // A marker attempt (e.g. "replayed") and a status refresh.
    void marker(const std::string& executionId, const std::string& stepId, const char* outcome,
                std::int64_t now);
    // Derives the status of `executionId` from what is stored now.
    void refresh(const std::string& executionId, std::int64_t now, bool failedRetry = false);
    // The same for the execution of stored item `itemId`.
    void refreshItem(std::int64_t itemId, std::int64_t now);
    // Executions deleted per prune() at most: small, so it adds little to the batch it
    // rides on.
    static constexpr std::int64_t kPruneBatch = 500;
    // Deletes at most `maxExecutions` (and kPruneBatch) of the executions past the
    // retention limits, oldest first; returns how many are still past them after this (an
    // upper bound when the age limit alone decides). A live item that shares a deleted
    // message gets a copy of its own first, and forgets the deleted seq.
    std::int64_t prune(std::int64_t now, std::int64_t maxExecutions);

private:
    // Whether execution_messages keeps `message` whole (else a marker of its size).
    bool keepsWhole(const std::string& message) const {
        return message.size() <= options_.maxMessageBytes;
    }
    // What execution_messages keeps of `message`: itself, or a marker written to `marker`
    // (which must outlive the statement it is bound to).
    std::string_view storedMessage(const std::string& message, std::string& marker) const;
    // The execution's seq, 0 if it has no history (pruned).
    std::int64_t executionSeq(const std::string& executionId);
    std::int64_t refreshSeq(const std::string& executionId, std::int64_t now, bool failedRetry);
    void insertAttempt(std::int64_t executionSeq, const LeasedItem& item, const char* outcome,
                       const std::string& error, std::int64_t now);
    void insertChained(std::int64_t executionSeq, const ChainedRun& run);

    sqlite::Db& db_;
    const HistoryOptions options_;
    sqlite::Stmt insertExecution_, itemExecution_, executionSeq_, insertAttempt_, insertLost_;
    sqlite::Stmt refreshStatus_, settleStatus_;
    sqlite::MultiRowInsert insertExecutions_, insertMessages_;
    sqlite::Stmt lastSeq_;
    sqlite::Stmt seqRange_, oldest_, handOverMessages_, forgetExecutions_, deleteAttempts_,
        deleteMessages_, deleteExecutions_;
};

// The delivery id inside an enqueueOnce key (webhooks/webhook_handler.cpp's dedupeKey: flow,
// header name and value joined by '\n'): the part after the last '\n', or "" if none.
std::string deliveryIdOfKey(const std::string& key);

}  // namespace flowgate::queue
