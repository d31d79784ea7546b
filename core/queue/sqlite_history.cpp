#include "queue/sqlite_history.hpp"

#include <algorithm>
#include <vector>

namespace flowgate::queue {

namespace {

// `executions.seq` is an INTEGER PRIMARY KEY without AUTOINCREMENT: rows are only ever
// deleted from the low end (pruning), so seq stays dense and max - min + 1 is the row
// count, which keeps the count limit an O(log n) check.
// The writer pays for every page a request dirties, so: the input message lives in its
// own table (written once; status updates rewrite only the small executions row), and
// attempts point to their execution by its integer seq, so their index grows at its
// right end instead of taking random (UUID) inserts.
// No index on flow_id: no query used the one there was (the listing's optional filters
// scan by seq; flow activity counts the whole table), yet every execution paid for its
// entry (0.14-0.18 WAL frames per execution in queue_bench). Files that have it drop it.
constexpr const char* kHistorySchema = R"sql(
CREATE TABLE IF NOT EXISTS executions (
    seq             INTEGER PRIMARY KEY,
    request_id      TEXT    NOT NULL UNIQUE,
    flow_id         TEXT    NOT NULL,
    status          TEXT    NOT NULL,
    received_at_ms  INTEGER NOT NULL,
    updated_at_ms   INTEGER NOT NULL,
    delivery_id     TEXT
);
CREATE TABLE IF NOT EXISTS execution_messages (
    seq             INTEGER PRIMARY KEY,
    message         TEXT    NOT NULL
);
CREATE TABLE IF NOT EXISTS execution_attempts (
    seq             INTEGER PRIMARY KEY,
    execution_seq   INTEGER NOT NULL,
    step_id         TEXT    NOT NULL,
    attempt         INTEGER NOT NULL,
    started_at_ms   INTEGER NOT NULL,
    duration_ms     INTEGER NOT NULL,
    outcome         TEXT    NOT NULL,
    error           TEXT
);
CREATE INDEX IF NOT EXISTS execution_attempts_execution ON execution_attempts (execution_seq);
CREATE INDEX IF NOT EXISTS dead_letters_execution ON dead_letters (execution_id);
)sql";

// The status of execution ?1 (seq ?4) from what is stored: one statement, index lookups
// only. Dead first: an execution with a dead letter needs an operator whatever else of it
// still runs.
std::string deriveStatus() {
    return "CASE WHEN EXISTS (SELECT 1 FROM dead_letters WHERE execution_id = ?1) THEN 'dead' "
           "WHEN NOT " + itemsOfExecution("?4") + " THEN 'succeeded' "
           "WHEN ?3 THEN 'failed' "
           "WHEN " + itemsOfExecution("?4", " AND wait_token IS NULL") +
           " THEN 'running' ELSE 'waiting' END";
}

}  // namespace

void createHistorySchema(sqlite::Db& db, std::int64_t now) {
    // History is rebuildable: a file with the first layout (message inline, attempts keyed
    // by request id) loses its history rather than paying for a migration at open.
    if (db.queryInt("SELECT COUNT(*) FROM pragma_table_info('execution_attempts') "
                    "WHERE name = 'request_id'") > 0) {
        db.exec("DROP TABLE IF EXISTS execution_attempts; DROP TABLE IF EXISTS executions;");
    }
    db.exec(kHistorySchema);
    db.exec("DROP INDEX IF EXISTS executions_flow");
    if (db.queryInt("SELECT COUNT(*) FROM pragma_table_info('work_items') "
                    "WHERE name = 'leased_at_ms'") == 0) {
        db.exec("ALTER TABLE work_items ADD COLUMN leased_at_ms INTEGER");
    }
    // The process that held these leases is gone: their attempts never reported.
    sqlite::Stmt lost(db,
                      "INSERT INTO execution_attempts (execution_seq, step_id, attempt, "
                      "started_at_ms, duration_ms, outcome, error) "
                      "SELECT e.seq, w.step_id, w.failed_attempts, "
                      "COALESCE(w.leased_at_ms, ?1), ?1 - COALESCE(w.leased_at_ms, ?1), 'lost', "
                      "'the engine stopped while the step ran (crash or kill)' "
                      "FROM work_items w JOIN executions e ON e.request_id = w.execution_id "
                      "WHERE w.lease_token IS NOT NULL ORDER BY w.id");
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
                       "received_at_ms, updated_at_ms, delivery_id) "
                       "VALUES (?1, ?2, 'running', ?3, ?3, ?4)"),
      itemExecution_(db, "SELECT execution_id FROM work_items WHERE id = ?1"),
      executionSeq_(db, "SELECT seq FROM executions WHERE request_id = ?1"),
      insertAttempt_(db,
                     "INSERT INTO execution_attempts (execution_seq, step_id, attempt, "
                     "started_at_ms, duration_ms, outcome, error) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
      insertLost_(db,
                  "INSERT INTO execution_attempts (execution_seq, step_id, attempt, "
                  "started_at_ms, duration_ms, outcome, error) "
                  "SELECT seq, ?2, ?3, ?4, ?5, 'lost', "
                  "'the lease ran out before the step reported' "
                  "FROM executions WHERE request_id = ?1"),
      refreshStatus_(db, ("UPDATE executions SET updated_at_ms = ?2, status = " +
                          deriveStatus() + " WHERE seq = ?4")
                             .c_str()),
      // The settle path: the writer knows the outcome, so the status is given (?3) but
      // for a completed or parked step, whose execution may still have other items. A
      // dead execution stays dead (deleting its dead letter does not undo the loss); a
      // replay derives its status again (marker()). No RETURNING here or
      // in the other statements of the hot path: SQLite buffers RETURNING rows in an
      // ephemeral table, which costs more than the statement itself.
      settleStatus_(db,
                    ("UPDATE executions SET updated_at_ms = ?2, status = CASE "
                     "WHEN status = 'dead' THEN 'dead' "
                     "WHEN ?3 IS NOT NULL THEN ?3 "
                     "WHEN NOT " + itemsOfExecution("?4") + " THEN 'succeeded' "
                     "WHEN " + itemsOfExecution("?4", " AND wait_token IS NULL") +
                     " THEN 'running' ELSE 'waiting' END "
                     // The id check costs nothing (the row is read anyway) and keeps a
                     // stale seq from touching another execution.
                     "WHERE seq = ?4 AND request_id = ?1")
                        .c_str()),
      // The seq given, and no OR IGNORE (unlike insertExecution_): a known request id
      // fails the statement instead of leaving the rows' seqs unknown.
      insertExecutions_(db,
                        "executions (seq, request_id, flow_id, status, "
                        "received_at_ms, updated_at_ms, delivery_id)",
                        "($1, $2, $3, 'running', $4, $4, NULL)", 4),
      insertMessages_(db, "execution_messages (seq, message)", "($1, $2)", 2),
      lastSeq_(db, "SELECT MAX(seq) FROM executions"),
      // Two subqueries, not MIN(seq), MAX(seq) in one SELECT: SQLite answers a lone
      // MIN or MAX from the end of the primary key, but both together scan the table
      // (19 ms at 100,000 executions, paid on every commit while pruning is due).
      seqRange_(db,
                "SELECT (SELECT MIN(seq) FROM executions), (SELECT MAX(seq) FROM executions)"),
      oldest_(db, "SELECT seq, received_at_ms FROM executions ORDER BY seq LIMIT ?1"),
      // Both find the items by work_items_execution_seq (message_seq is the seq or NULL).
      // OR IGNORE: a row of the item's own would be its message already (kItemMessage).
      handOverMessages_(db,
                        "INSERT OR IGNORE INTO work_item_messages (item_id, message) "
                        "SELECT w.id, m.message FROM work_items w "
                        "JOIN execution_messages m ON m.seq = w.message_seq "
                        "WHERE w.execution_seq <= ?1 AND w.message_seq IS NOT NULL"),
      forgetExecutions_(db,
                        "UPDATE work_items SET execution_seq = NULL, message_seq = NULL "
                        "WHERE execution_seq <= ?1"),
      deleteAttempts_(db, "DELETE FROM execution_attempts WHERE execution_seq <= ?1"),
      deleteMessages_(db, "DELETE FROM execution_messages WHERE seq <= ?1"),
      deleteExecutions_(db, "DELETE FROM executions WHERE seq <= ?1") {}

StartedExecution SqliteHistory::started(const std::string& executionId,
                                        const std::string& flowId, const std::string& message,
                                        const std::string& deliveryId, std::int64_t now) {
    if (!options_.enabled) return {};
    std::int64_t seq = 0;
    {
        sqlite::Stmt::Use use(insertExecution_);
        use->bind(1, executionId).bind(2, flowId).bind(3, now);
        if (deliveryId.empty())
            use->bindNull(4);
        else
            use->bind(4, deliveryId);
        use->run();
        // Known already: its items find the seq by id (settle) and keep their own message.
        if (db_.changes() == 0) return {};
        seq = db_.lastInsertRowid();
    }
    std::string marker;
    sqlite::Stmt::Use use(insertMessages_.forRows(1));
    use->bind(insertMessages_.param(0, 1), seq)
        .bind(insertMessages_.param(0, 2), storedMessage(message, marker))
        .run();
    return {seq, keepsWhole(message)};
}

std::string_view SqliteHistory::storedMessage(const std::string& message,
                                              std::string& marker) const {
    if (keepsWhole(message)) return message;
    marker = R"({"truncated":true,"bytes":)" + std::to_string(message.size()) + "}";
    return marker;
}

std::vector<StartedExecution> SqliteHistory::startedAll(
    const std::vector<const NewWorkItem*>& items, std::int64_t now) {
    std::vector<StartedExecution> started(items.size());
    if (!options_.enabled || items.empty()) return started;
    std::int64_t seq = 0;  // the last one given, as SQLite would: rows leave only at the low end
    {
        sqlite::Stmt::Use use(lastSeq_);
        if (use->step() && !use->columnIsNull(0)) seq = use->columnInt(0);
    }
    for (auto& execution : started) execution.seq = ++seq;
    // What the messages' statement binds (SQLITE_STATIC): the markers must outlive it.
    std::vector<std::string> markers(items.size());
    constexpr std::size_t kChunk = sqlite::MultiRowInsert::kMaxRows;
    for (std::size_t from = 0; from < items.size(); from += kChunk) {
        const int rows = static_cast<int>(std::min(kChunk, items.size() - from));
        {
            auto& stmt = insertExecutions_.forRows(rows);
            sqlite::Stmt::Use use(stmt);
            for (int r = 0; r < rows; ++r) {
                const NewWorkItem& item = *items[from + r];
                use->bind(insertExecutions_.param(r, 1), started[from + r].seq)
                    .bind(insertExecutions_.param(r, 2), item.executionId)
                    .bind(insertExecutions_.param(r, 3), item.flowId)
                    .bind(insertExecutions_.param(r, 4), now);
            }
            use->run();
        }
        auto& stmt = insertMessages_.forRows(rows);
        sqlite::Stmt::Use use(stmt);
        for (int r = 0; r < rows; ++r) {
            const std::size_t i = from + r;
            use->bind(insertMessages_.param(r, 1), started[i].seq)
                .bind(insertMessages_.param(r, 2), storedMessage(items[i]->message, markers[i]));
            started[i].messageKept = keepsWhole(items[i]->message);
        }
        use->run();
    }
    return started;
}

void SqliteHistory::insertAttempt(std::int64_t executionSeq, const LeasedItem& item,
                                  const char* outcome, const std::string& error,
                                  std::int64_t now) {
    const std::int64_t started = item.leasedAtMs > 0 ? item.leasedAtMs : now;
    sqlite::Stmt::Use use(insertAttempt_);
    use->bind(1, executionSeq)
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

void SqliteHistory::insertChained(std::int64_t executionSeq, const ChainedRun& run) {
    sqlite::Stmt::Use use(insertAttempt_);
    // Attempt 1: the run was the first of its step on this message (a failed one stored
    // the message, whose queued attempts count from 1 again).
    use->bind(1, executionSeq)
        .bind(2, run.stepId)
        .bind(3, std::int64_t{1})
        .bind(4, run.startedAtMs)
        .bind(5, run.durationUs / 1000)
        .bind(6, std::string_view(run.ok ? "completed" : "failed"));
    if (run.error.empty())
        use->bindNull(7);
    else
        use->bind(7, run.error);
    use->run();
}

void SqliteHistory::attempt(const LeasedItem& item, const char* outcome, const std::string& error,
                            std::int64_t now, const char* status,
                            const std::vector<ChainedRun>& chained) {
    if (!options_.enabled) return;
    // Stored with the item but for items older than schema 3 or than their execution's
    // record; prune() clears it when it deletes the execution.
    const std::int64_t seq = item.executionSeq != 0 ? item.executionSeq
                                                    : executionSeq(item.executionId);
    if (seq == 0) return;  // pruned: nothing to attach the attempt to
    {
        sqlite::Stmt::Use use(settleStatus_);
        use->bind(1, item.executionId).bind(2, now).bind(4, seq);
        if (status)
            use->bind(3, std::string_view(status));
        else
            use->bindNull(3);
        use->run();
        if (db_.changes() == 0) return;  // no such execution (pruned)
    }
    insertAttempt(seq, item, outcome, error, now);
    for (const auto& run : chained) insertChained(seq, run);
}

void SqliteHistory::lost(const LeasedItem& item, std::int64_t now) {
    if (!options_.enabled) return;
    sqlite::Stmt::Use use(insertLost_);
    const std::int64_t started = item.leasedAtMs > 0 ? item.leasedAtMs : now;
    use->bind(1, item.executionId)
        .bind(2, item.stepId)
        .bind(3, std::int64_t{item.attempt})
        .bind(4, started)
        .bind(5, std::max<std::int64_t>(now - started, 0))
        .run();
}

void SqliteHistory::marker(const std::string& executionId, const std::string& stepId,
                           const char* outcome, std::int64_t now) {
    if (!options_.enabled) return;
    const std::int64_t seq = refreshSeq(executionId, now, false);
    if (seq != 0) insertAttempt(seq, {executionId, stepId, 0, now}, outcome, {}, now);
}

std::int64_t SqliteHistory::refreshSeq(const std::string& executionId, std::int64_t now,
                                       bool failedRetry) {
    const std::int64_t seq = executionSeq(executionId);
    if (seq == 0) return 0;
    sqlite::Stmt::Use use(refreshStatus_);
    use->bind(1, executionId).bind(2, now).bind(3, std::int64_t{failedRetry ? 1 : 0});
    use->bind(4, seq).run();
    return seq;
}

std::int64_t SqliteHistory::executionSeq(const std::string& executionId) {
    sqlite::Stmt::Use use(executionSeq_);
    use->bind(1, executionId);
    return use->step() ? use->columnInt(0) : 0;
}

void SqliteHistory::refresh(const std::string& executionId, std::int64_t now, bool failedRetry) {
    if (!options_.enabled) return;
    refreshSeq(executionId, now, failedRetry);
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

std::int64_t SqliteHistory::prune(std::int64_t now, std::int64_t maxExecutions) {
    if (!options_.enabled) return 0;
    std::int64_t first = 0, last = 0;
    {
        sqlite::Stmt::Use use(seqRange_);
        if (!use->step() || use->columnIsNull(0)) return 0;
        first = use->columnInt(0);
        last = use->columnInt(1);
    }
    const std::int64_t batch = std::clamp<std::int64_t>(maxExecutions, 1, kPruneBatch);
    // Over the count limit: everything up to countCut goes.
    std::int64_t cut = last - options_.maxExecutions;
    // Over the age limit: the oldest rows, in order, while they are old enough (received
    // times follow seq but for clock steps, so this stops at the first young one).
    const std::int64_t oldest = now - options_.maxAge.count();
    std::int64_t old = 0;  // of the `batch` oldest rows
    {
        sqlite::Stmt::Use use(oldest_);
        use->bind(1, batch);
        for (; use->step() && use->columnInt(1) < oldest; ++old)
            cut = std::max(cut, use->columnInt(0));
    }
    const std::int64_t due = cut - first + 1;
    if (due <= 0) return 0;
    cut = std::min(cut, first + batch - 1);
    sqlite::Stmt::Use(handOverMessages_)->bind(1, cut).run();
    sqlite::Stmt::Use(forgetExecutions_)->bind(1, cut).run();
    sqlite::Stmt::Use(deleteAttempts_)->bind(1, cut).run();
    sqlite::Stmt::Use(deleteMessages_)->bind(1, cut).run();
    sqlite::Stmt::Use(deleteExecutions_)->bind(1, cut).run();
    // The age limit was only looked at over `batch` rows: if all were old, more may be.
    return std::max(due - (cut - first + 1), old == batch ? batch : 0);
}

}  // namespace flowgate::queue
