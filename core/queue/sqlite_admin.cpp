#include "queue/sqlite_admin.hpp"

#include <vector>

namespace flowgate::queue {

namespace {

// Binds the optional filters of a dead-letter query as ?1 flow, ?2 since, ?3 until,
// ?4 before (NULL: no filter).
void bindFilter(sqlite::Stmt& stmt, const DeadLetterQuery& q) {
    if (q.flowId.empty())
        stmt.bindNull(1);
    else
        stmt.bind(1, q.flowId);
    q.sinceMs ? (void)stmt.bind(2, *q.sinceMs) : (void)stmt.bindNull(2);
    q.untilMs ? (void)stmt.bind(3, *q.untilMs) : (void)stmt.bindNull(3);
    q.beforeId ? (void)stmt.bind(4, *q.beforeId) : (void)stmt.bindNull(4);
}

constexpr const char* kFilter =
    "(?1 IS NULL OR flow_id = ?1) AND (?2 IS NULL OR failed_at_ms >= ?2) "
    "AND (?3 IS NULL OR failed_at_ms < ?3) AND (?4 IS NULL OR seq < ?4)";

}  // namespace

void createAdminSchema(sqlite::Db& db) {
    db.exec(
        "CREATE TABLE IF NOT EXISTS paused_flows ("
        "flow_id TEXT PRIMARY KEY, paused_at_ms INTEGER NOT NULL) WITHOUT ROWID");
}

AdminEffects setPausedIn(sqlite::Db& db, const std::string& flowId, bool paused, std::int64_t now) {
    AdminEffects effects;
    if (paused) {
        sqlite::Stmt stmt(db,
                          "INSERT OR IGNORE INTO paused_flows (flow_id, paused_at_ms) "
                          "VALUES (?1, ?2)");
        stmt.bind(1, flowId).bind(2, now).run();
    } else {
        sqlite::Stmt stmt(db, "DELETE FROM paused_flows WHERE flow_id = ?1");
        stmt.bind(1, flowId).run();
        // The flow's held items are ready (most are due already): takers look again.
        effects.madeReady = db.changes() > 0;
    }
    // Leased items are marked too: if their lease runs out during the pause, they wait.
    // A pause walks the flow's items once (no index by flow); a resume finds them by the
    // mark.
    sqlite::Stmt mark(db, paused ? "UPDATE work_items SET paused = 1 "
                                   "WHERE flow_id = ?1 AND paused = 0"
                                 : "UPDATE work_items SET paused = 0 "
                                   "WHERE paused = 1 AND flow_id = ?1");
    mark.bind(1, flowId).run();
    return effects;
}

AdminEffects replayIn(sqlite::Db& db, SqliteHistory& history, const DeadLetterQuery& filter,
                      std::optional<std::int64_t> onlyId, std::size_t max, std::int64_t now,
                      std::optional<std::string>& firstExecution, std::int64_t& replayed) {
    struct Row {
        std::int64_t seq;
        std::string executionId, stepId;
    };
    std::vector<Row> rows;
    {
        // Oldest first, so replayed items queue in the order they first failed.
        sqlite::Stmt select(db, onlyId ? "SELECT seq, execution_id, step_id FROM dead_letters "
                                         "WHERE seq = ?5"
                                       : (std::string("SELECT seq, execution_id, step_id FROM "
                                                      "dead_letters WHERE ") +
                                          kFilter + " ORDER BY seq LIMIT ?5")
                                             .c_str());
        if (onlyId) {
            select.bind(5, *onlyId);
        } else {
            bindFilter(select, filter);
            select.bind(5, static_cast<std::int64_t>(max));
        }
        while (select.step())
            rows.push_back({select.columnInt(0), select.columnText(1), select.columnText(2)});
        select.reset();
    }
    AdminEffects effects;
    // The replayed item keeps its own copy of the message (the letter's may differ from
    // the execution's input: a later step's), and finds its execution's seq if recorded.
    sqlite::Stmt insert(
        db, (std::string("INSERT INTO work_items (flow_id, execution_id, step_id, "
                         "failed_attempts, available_at_ms, created_at_ms, execution_seq, "
                         "message_bytes, paused) "
                         "SELECT d.flow_id, d.execution_id, d.step_id, 0, ?1, ?1, "
                         "(SELECT e.seq FROM executions e WHERE e.request_id = d.execution_id), "
                         "length(CAST(d.message AS BLOB)), ") +
             pausedFlow("d.flow_id") + " FROM dead_letters d WHERE d.seq = ?2")
                .c_str());
    sqlite::Stmt insertMessage(db,
                               "INSERT INTO work_item_messages (item_id, message) "
                               "SELECT ?1, message FROM dead_letters WHERE seq = ?2 "
                               "RETURNING length(CAST(message AS BLOB))");
    sqlite::Stmt remove(db, "DELETE FROM dead_letters WHERE seq = ?1");
    for (const auto& row : rows) {
        insert.bind(1, now).bind(2, row.seq).run();
        const bool moved = db.changes() > 0;
        insert.reset();
        if (!moved) continue;
        insertMessage.bind(1, db.lastInsertRowid()).bind(2, row.seq);
        const std::int64_t bytes = insertMessage.step() ? insertMessage.columnInt(0) : 0;
        insertMessage.reset();
        remove.bind(1, row.seq).run();
        remove.reset();
        effects.stored += 1;
        effects.bytes += bytes;
        effects.dead -= 1;
        history.marker(row.executionId, row.stepId, "replayed", now);
        if (!firstExecution) firstExecution = row.executionId;
        ++replayed;
    }
    effects.madeReady = replayed > 0;
    return effects;
}

AdminEffects deleteDeadLetterIn(sqlite::Db& db, std::int64_t id, bool& deleted) {
    sqlite::Stmt stmt(db, "DELETE FROM dead_letters WHERE seq = ?1");
    stmt.bind(1, id).run();
    deleted = db.changes() > 0;
    AdminEffects effects;
    effects.dead = deleted ? -1 : 0;
    return effects;
}

std::set<std::string> readPausedFlows(sqlite::Db& db) {
    std::set<std::string> flows;
    sqlite::Stmt stmt(db, "SELECT flow_id FROM paused_flows");
    while (stmt.step()) flows.insert(stmt.columnText(0));
    return flows;
}

DeadLetterPage readDeadLetterPage(sqlite::Db& db, const DeadLetterQuery& query) {
    DeadLetterPage page;
    sqlite::Stmt stmt(db, (std::string("SELECT seq, flow_id, execution_id, step_id, message, "
                                       "error, attempts, failed_at_ms FROM dead_letters WHERE ") +
                           kFilter + " ORDER BY seq DESC LIMIT ?5")
                              .c_str());
    bindFilter(stmt, query);
    stmt.bind(5, static_cast<std::int64_t>(query.limit + 1));
    while (stmt.step()) {
        if (page.items.size() == query.limit) {
            page.nextBeforeId = page.items.back().id;
            break;
        }
        DeadLetter& d = page.items.emplace_back();
        d.id = stmt.columnInt(0);
        d.flowId = stmt.columnText(1);
        d.executionId = stmt.columnText(2);
        d.stepId = stmt.columnText(3);
        d.message = stmt.columnText(4);
        d.error = stmt.columnText(5);
        d.attempts = static_cast<int>(stmt.columnInt(6));
        d.failedAtMs = stmt.columnInt(7);
    }
    stmt.reset();
    return page;
}

}  // namespace flowgate::queue
