#include "state/postgres_reads.hpp"

namespace flowgate::state {

namespace {

using Param = std::optional<std::string>;

Param optionalText(const std::string& value) { return value.empty() ? Param() : Param(value); }
Param optionalInt(const std::optional<std::int64_t>& value) {
    return value ? Param(std::to_string(*value)) : Param();
}

// Columns 0-6 of an execution row; `message` (column 7) only for one execution.
queue::ExecutionRecord recordOf(const pg::Result& r, int row, bool withMessage) {
    queue::ExecutionRecord e;
    e.seq = r.integer(row, 0);
    e.requestId = r.text(row, 1);
    e.flowId = r.text(row, 2);
    e.status = r.text(row, 3);
    e.receivedAtMs = r.integer(row, 4);
    e.updatedAtMs = r.integer(row, 5);
    e.deliveryId = r.text(row, 6);
    if (withMessage && !r.isNull(row, 7)) e.message = r.text(row, 7);
    return e;
}

}  // namespace

std::vector<Param> deadLetterFilterParams(const queue::DeadLetterQuery& q) {
    return {optionalText(q.flowId), optionalInt(q.sinceMs), optionalInt(q.untilMs),
            optionalInt(q.beforeId)};
}

queue::ExecutionPage readExecutions(pg::Pool& pool, const queue::ExecutionQuery& q) {
    // NULL parameters do not filter; newest first by seq (the primary key or the
    // (flow_id, seq) index order it).
    const auto results = pool.transaction(
        {{"SELECT seq, request_id, flow_id, status, received_at_ms, updated_at_ms, "
          "COALESCE(delivery_id, '') FROM executions "
          "WHERE ($1::text IS NULL OR flow_id = $1::text) "
          "AND ($2::text IS NULL OR status = $2::text) "
          "AND ($3::bigint IS NULL OR received_at_ms >= $3::bigint) "
          "AND ($4::bigint IS NULL OR received_at_ms < $4::bigint) "
          "AND ($5::bigint IS NULL OR seq < $5::bigint) ORDER BY seq DESC LIMIT $6",
          {optionalText(q.flowId), optionalText(q.status), optionalInt(q.sinceMs),
           optionalInt(q.untilMs), optionalInt(q.beforeSeq), std::to_string(q.limit + 1)}}});
    const pg::Result& r = results[0];
    queue::ExecutionPage page;
    for (int row = 0; row < r.rows(); ++row) {
        if (page.items.size() == q.limit) {
            page.nextBeforeSeq = page.items.back().seq;
            break;
        }
        page.items.push_back(recordOf(r, row, false));
    }
    return page;
}

std::optional<queue::ExecutionDetail> readExecution(pg::Pool& pool, const std::string& requestId) {
    // One transaction, so the attempts belong to the execution row read.
    const auto results = pool.transaction(
        {{"SELECT e.seq, e.request_id, e.flow_id, e.status, e.received_at_ms, e.updated_at_ms, "
          "COALESCE(e.delivery_id, ''), m.message FROM executions e "
          "LEFT JOIN execution_messages m ON m.seq = e.seq WHERE e.request_id = $1",
          {requestId}},
         {"SELECT a.step_id, a.attempt, a.started_at_ms, a.duration_ms, a.outcome, "
          "COALESCE(a.error, '') FROM execution_attempts a JOIN executions e "
          "ON e.seq = a.execution_seq WHERE e.request_id = $1 ORDER BY a.seq",
          {requestId}}});
    if (results[0].rows() == 0) return std::nullopt;
    queue::ExecutionDetail detail;
    detail.execution = recordOf(results[0], 0, true);
    const pg::Result& a = results[1];
    for (int row = 0; row < a.rows(); ++row) {
        queue::AttemptRecord& attempt = detail.attempts.emplace_back();
        attempt.stepId = a.text(row, 0);
        attempt.attempt = static_cast<int>(a.integer(row, 1));
        attempt.startedAtMs = a.integer(row, 2);
        attempt.durationMs = a.integer(row, 3);
        attempt.outcome = a.text(row, 4);
        attempt.error = a.text(row, 5);
    }
    return detail;
}

std::map<std::string, queue::FlowActivity> readFlowActivity(pg::Pool& pool) {
    const auto results = pool.transaction(
        {{"SELECT flow_id, status, COUNT(*) FROM executions GROUP BY flow_id, status", {}},
         {"SELECT flow_id, COUNT(*) FROM items GROUP BY flow_id", {}}});
    std::map<std::string, queue::FlowActivity> flows;
    const pg::Result& byStatus = results[0];
    for (int row = 0; row < byStatus.rows(); ++row) {
        auto& flow = flows[byStatus.text(row, 0)];
        const std::int64_t n = byStatus.integer(row, 2);
        flow.byStatus[byStatus.text(row, 1)] += n;
        flow.received += n;
    }
    const pg::Result& depth = results[1];
    for (int row = 0; row < depth.rows(); ++row)
        flows[depth.text(row, 0)].queueDepth = depth.integer(row, 1);
    return flows;
}

queue::DeadLetterPage readDeadLetterPage(pg::Pool& pool, const queue::DeadLetterQuery& query) {
    auto params = deadLetterFilterParams(query);
    params.push_back(std::to_string(query.limit + 1));
    const auto results = pool.transaction(
        {{std::string("SELECT seq, flow_id, execution_id, step_id, message, error, attempts, "
                      "failed_at_ms FROM dead_letters WHERE ") +
              kDeadLetterFilter + " ORDER BY seq DESC LIMIT $5",
          std::move(params)}});
    const pg::Result& r = results[0];
    queue::DeadLetterPage page;
    for (int row = 0; row < r.rows(); ++row) {
        if (page.items.size() == query.limit) {
            page.nextBeforeId = page.items.back().id;
            break;
        }
        queue::DeadLetter& d = page.items.emplace_back();
        d.id = r.integer(row, 0);
        d.flowId = r.text(row, 1);
        d.executionId = r.text(row, 2);
        d.stepId = r.text(row, 3);
        d.message = r.text(row, 4);
        d.error = r.text(row, 5);
        d.attempts = static_cast<int>(r.integer(row, 6));
        d.failedAtMs = r.integer(row, 7);
    }
    return page;
}

}  // namespace flowgate::state
