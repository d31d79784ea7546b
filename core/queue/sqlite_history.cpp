#include "queue/sqlite_history.hpp"

#include <algorithm>
#include <vector>

namespace flowgate::queue {

namespace {

// `executions.seq` is an INTEGER PRIMARY KEY without AUTOINCREMENT: rows are only ever
// deleted from the low end (pruning), so seq stays dense and max - min + 1 is the row
// count, which keeps the count limit an O(log n) check.
constexpr const char* kHistorySchema = R"sql(
CREATE TABLE IF NOT EXISTS executions (
    seq             INTEGER PRIMARY KEY,
    request_id      TEXT    NOT NULL UNIQUE,
    flow_id         TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    received_at_ms  INTEGER NOT NULL,
    updated_at_ms   INTEGER NOT NULL,
    delivery_id     TEXT,
    message         TEXT
);
CREATE INDEX IF NOT EXISTS executions_flow ON executions (flow_id, seq);
CREATE TABLE IF NOT EXISTS execution_attempts (
    seq             INTEGER PRIMARY KEY,
    request_id      TEXT    NOT NULL,
    step_id         TEXT    NOT NULL,
    attempt         INTEGER NOT NULL,
    started_at_ms   INTEGER NOT NULL,
    duration_ms     INTEGER NOT NULL,
    outcome         TEXT    NOT NULL,
    error           TEXT
);
CREATE INDEX IF NOT EXISTS execution_attempts_request ON execution_attempts (request_id);
CREATE INDEX IF NOT EXISTS dead_letters_execution ON dead_letters (execution_id);
)sql";

// Executions deleted per transaction by prune(): small, so it adds little to the batch
// it rides on.
constexpr std::int64_t kPruneBatch = 500;

}  // namespace

void createHistorySchema(sqlite::Db& db, std::int64_t now) {
    db.exec(kHistorySchema);
    if (db.queryInt("SELECT COUNT(*) FROM pragma_table_info('work_items') "
                    "WHERE name = 'leased_at_ms'") == 0) {
        db.exec("ALTER TABLE work_items ADD COLUMN leased_at_ms INTEGER");
    }
    // The process that held these leases is gone: their attempts never reported.
    sqlite::Stmt lost(db,
                      "INSERT INTO execution_attempts (request_id, step_id, attempt, "
                      "started_at_ms, duration_ms, outcome, error) "
                      "SELECT execution_id, step_id, failed_attempts, "
                      "COALESCE(leased_at_ms, ?1), ?1 - COALESCE(leased_at_ms, ?1), 'lost', "
                      "'the engine stopped while the step ran (crash or kill)' "
                      "FROM work_items WHERE lease_token IS NOT NULL");
    sqlite::Stmt::Use use(lost);
    use->bind(1, now).run();
}

std::string deliveryIdOfKey(const std::string& key) {
    const auto at = key.rfind('\n');
    return at == std::string::npos ? std::string() : key.substr(at + 1);
}

SqliteHistory::SqliteHistory(sqlite::Db& db, HistoryOptions options)
    : db_(db),
      options_(options),
      insertExecution_(db,
                       "INSERT OR IGNORE INTO executions (request_id, flow_id, status, "
                       "received_at_ms, updated_at_ms, delivery_id, message) "
                       "VALUES (?1, ?2, 'running', ?3, ?3, ?4, ?5)"),
      selectLeased_(db,
                    "SELECT execution_id, step_id, failed_attempts, leased_at_ms "
                    "FROM work_items WHERE id = ?1 AND lease_token = ?2"),
      itemExecution_(db, "SELECT execution_id FROM work_items WHERE id = ?1"),
      insertAttempt_(db,
                     "INSERT INTO execution_attempts (request_id, step_id, attempt, "
                     "started_at_ms, duration_ms, outcome, error) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
      // One statement, index lookups only. Dead first: an execution with a dead letter
      // needs an operator whatever else of it still runs.
      refreshStatus_(db,
                     "UPDATE executions SET updated_at_ms = ?2, status = CASE "
                     "WHEN EXISTS (SELECT 1 FROM dead_letters WHERE execution_id = ?1) "
                     "THEN 'dead' "
                     "WHEN NOT EXISTS (SELECT 1 FROM work_items WHERE execution_id = ?1) "
                     "THEN 'succeeded' "
                     "WHEN ?3 THEN 'failed' "
                     "WHEN EXISTS (SELECT 1 FROM work_items WHERE execution_id = ?1 "
                     "AND wait_token IS NULL) THEN 'running' "
                     "ELSE 'waiting' END "
                     "WHERE request_id = ?1"),
      seqRange_(db, "SELECT MIN(seq), MAX(seq) FROM executions"),
      oldest_(db, "SELECT seq, received_at_ms FROM executions ORDER BY seq LIMIT ?1"),
      deleteAttempts_(db,
                      "DELETE FROM execution_attempts WHERE request_id IN "
                      "(SELECT request_id FROM executions WHERE seq <= ?1)"),
      deleteExecutions_(db, "DELETE FROM executions WHERE seq <= ?1") {}

void SqliteHistory::started(const std::string& executionId, const std::string& flowId,
                            const std::string& message, const std::string& deliveryId,
                            std::int64_t now) {
    if (!options_.enabled) return;
    sqlite::Stmt::Use use(insertExecution_);
    use->bind(1, executionId).bind(2, flowId).bind(3, now);
    if (deliveryId.empty())
        use->bindNull(4);
    else
        use->bind(4, deliveryId);
    std::string marker;
    if (message.size() > options_.maxMessageBytes) {
        marker = R"({"truncated":true,"bytes":)" + std::to_string(message.size()) + "}";
        use->bind(5, marker);
    } else {
        use->bind(5, message);
    }
    use->run();
}

std::optional<LeasedItem> SqliteHistory::leased(std::int64_t itemId, std::int64_t leaseToken) {
    if (!options_.enabled) return std::nullopt;
    sqlite::Stmt::Use use(selectLeased_);
    use->bind(1, itemId).bind(2, leaseToken);
    if (!use->step()) return std::nullopt;
    LeasedItem item;
    item.executionId = use->columnText(0);
    item.stepId = use->columnText(1);
    item.attempt = static_cast<int>(use->columnInt(2));
    item.leasedAtMs = use->columnIsNull(3) ? 0 : use->columnInt(3);
    return item;
}

void SqliteHistory::attempt(const LeasedItem& item, const char* outcome, const std::string& error,
                            std::int64_t now, bool failedRetry) {
    if (!options_.enabled) return;
    {
        const std::int64_t started = item.leasedAtMs > 0 ? item.leasedAtMs : now;
        sqlite::Stmt::Use use(insertAttempt_);
        use->bind(1, item.executionId)
            .bind(2, item.stepId)
            .bind(3, std::int64_t{item.attempt})
            .bind(4, started)
            .bind(5, std::max<std::int64_t>(now - started, 0))
            .bind(6, std::string_view(outcome));
        if (error.empty())
            use->bindNull(7);
        else
            use->bind(7, error);
        use->run();
    }
    refresh(item.executionId, now, failedRetry);
}

void SqliteHistory::lost(const LeasedItem& item, std::int64_t now) {
    if (!options_.enabled) return;
    sqlite::Stmt::Use use(insertAttempt_);
    const std::int64_t started = item.leasedAtMs > 0 ? item.leasedAtMs : now;
    use->bind(1, item.executionId)
        .bind(2, item.stepId)
        .bind(3, std::int64_t{item.attempt})
        .bind(4, started)
        .bind(5, std::max<std::int64_t>(now - started, 0))
        .bind(6, std::string_view("lost"))
        .bind(7, std::string_view("the lease ran out before the step reported"))
        .run();
}

void SqliteHistory::marker(const std::string& executionId, const std::string& stepId,
                           const char* outcome, std::int64_t now) {
    attempt({executionId, stepId, 0, now}, outcome, {}, now);
}

void SqliteHistory::refresh(const std::string& executionId, std::int64_t now, bool failedRetry) {
    if (!options_.enabled) return;
    sqlite::Stmt::Use use(refreshStatus_);
    use->bind(1, executionId).bind(2, now).bind(3, std::int64_t{failedRetry ? 1 : 0}).run();
}

void SqliteHistory::refreshItem(std::int64_t itemId, std::int64_t now) {
    if (!options_.enabled) return;
    std::string executionId;
    {
        sqlite::Stmt::Use use(itemExecution_);
        use->bind(1, itemId);
        if (!use->step()) return;
        executionId = use->columnText(0);
    }
    refresh(executionId, now);
}

bool SqliteHistory::prune(std::int64_t now) {
    if (!options_.enabled) return false;
    std::int64_t first = 0, last = 0;
    {
        sqlite::Stmt::Use use(seqRange_);
        if (!use->step() || use->columnIsNull(0)) return false;
        first = use->columnInt(0);
        last = use->columnInt(1);
    }
    // Over the count limit: everything up to countCut goes.
    std::int64_t cut = last - options_.maxExecutions;
    // Over the age limit: the oldest rows, in order, while they are old enough (received
    // times follow seq but for clock steps, so this stops at the first young one).
    const std::int64_t oldest = now - options_.maxAge.count();
    {
        sqlite::Stmt::Use use(oldest_);
        use->bind(1, kPruneBatch);
        while (use->step() && use->columnInt(1) < oldest) cut = std::max(cut, use->columnInt(0));
    }
    cut = std::min(cut, first + kPruneBatch - 1);
    if (cut < first) return false;
    sqlite::Stmt::Use(deleteAttempts_)->bind(1, cut).run();
    sqlite::Stmt::Use(deleteExecutions_)->bind(1, cut).run();
    return cut == first + kPruneBatch - 1;
}

}  // namespace flowgate::queue
