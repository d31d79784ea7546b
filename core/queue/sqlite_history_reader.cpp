#include "queue/sqlite_history_reader.hpp"

namespace flowgate::queue {

namespace {

// The message (column 7) is read only for one execution; listings select NULL there.
constexpr const char* kColumns =
    "SELECT seq, request_id, flow_id, status, received_at_ms, updated_at_ms, "
    "COALESCE(delivery_id, ''), NULL FROM executions ";

ExecutionRecord recordOf(sqlite::Stmt& stmt, bool withMessage) {
    ExecutionRecord r;
    r.seq = stmt.columnInt(0);
    r.requestId = stmt.columnText(1);
    r.flowId = stmt.columnText(2);
    r.status = stmt.columnText(3);
    r.receivedAtMs = stmt.columnInt(4);
    r.updatedAtMs = stmt.columnInt(5);
    r.deliveryId = stmt.columnText(6);
    if (withMessage && !stmt.columnIsNull(7)) r.message = stmt.columnText(7);
    return r;
}

}  // namespace

ExecutionPage readExecutions(sqlite::Db& db, const ExecutionQuery& q) {
    // NULL parameters do not filter. Newest first by seq, which the primary key already
    // orders; a filter makes it a scan from the newest row until the page is full.
    sqlite::Stmt stmt(db, (std::string(kColumns) +
                           "WHERE (?1 IS NULL OR flow_id = ?1) AND (?2 IS NULL OR status = ?2) "
                           "AND (?3 IS NULL OR received_at_ms >= ?3) "
                           "AND (?4 IS NULL OR received_at_ms < ?4) "
                           "AND (?5 IS NULL OR seq < ?5) ORDER BY seq DESC LIMIT ?6")
                              .c_str());
    q.flowId.empty() ? (void)stmt.bindNull(1) : (void)stmt.bind(1, q.flowId);
    q.status.empty() ? (void)stmt.bindNull(2) : (void)stmt.bind(2, q.status);
    q.sinceMs ? (void)stmt.bind(3, *q.sinceMs) : (void)stmt.bindNull(3);
    q.untilMs ? (void)stmt.bind(4, *q.untilMs) : (void)stmt.bindNull(4);
    q.beforeSeq ? (void)stmt.bind(5, *q.beforeSeq) : (void)stmt.bindNull(5);
    stmt.bind(6, static_cast<std::int64_t>(q.limit + 1));
    ExecutionPage page;
    while (stmt.step()) {
        if (page.items.size() == q.limit) {
            page.nextBeforeSeq = page.items.back().seq;
            break;
        }
        page.items.push_back(recordOf(stmt, false));
    }
    stmt.reset();
    return page;
}

std::optional<ExecutionDetail> readExecution(sqlite::Db& db, const std::string& requestId) {
    ExecutionDetail detail;
    {
        sqlite::Stmt stmt(db,
                          "SELECT e.seq, e.request_id, e.flow_id, e.status, e.received_at_ms, "
                          "e.updated_at_ms, COALESCE(e.delivery_id, ''), m.message "
                          "FROM executions e LEFT JOIN execution_messages m ON m.seq = e.seq "
                          "WHERE e.request_id = ?1");
        stmt.bind(1, requestId);
        if (!stmt.step()) return std::nullopt;
        detail.execution = recordOf(stmt, true);
        stmt.reset();
    }
    sqlite::Stmt stmt(db,
                      "SELECT step_id, attempt, started_at_ms, duration_ms, outcome, "
                      "COALESCE(error, '') FROM execution_attempts WHERE execution_seq = ?1 "
                      "ORDER BY seq");
    stmt.bind(1, detail.execution.seq);
    while (stmt.step()) {
        AttemptRecord& a = detail.attempts.emplace_back();
        a.stepId = stmt.columnText(0);
        a.attempt = static_cast<int>(stmt.columnInt(1));
        a.startedAtMs = stmt.columnInt(2);
        a.durationMs = stmt.columnInt(3);
        a.outcome = stmt.columnText(4);
        a.error = stmt.columnText(5);
    }
    stmt.reset();
    return detail;
}

std::map<std::string, FlowActivity> readFlowActivity(sqlite::Db& db) {
    std::map<std::string, FlowActivity> flows;
    {
        sqlite::Stmt stmt(db,
                          "SELECT flow_id, status, COUNT(*) FROM executions "
                          "GROUP BY flow_id, status");
        while (stmt.step()) {
            auto& flow = flows[stmt.columnText(0)];
            const std::int64_t n = stmt.columnInt(2);
            flow.byStatus[stmt.columnText(1)] += n;
            flow.received += n;
        }
        stmt.reset();
    }
    sqlite::Stmt stmt(db, "SELECT flow_id, COUNT(*) FROM work_items GROUP BY flow_id");
    while (stmt.step()) flows[stmt.columnText(0)].queueDepth = stmt.columnInt(1);
    stmt.reset();
    return flows;
}

}  // namespace flowgate::queue
