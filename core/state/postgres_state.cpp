#include "state/postgres_state.hpp"

#include <algorithm>
#include <atomic>

#include "queue/sqlite_history.hpp"
#include "state/pg_connection.hpp"
#include "state/postgres_reads.hpp"
#include "state/postgres_schema.hpp"
#include "flowgate/common/utf8.hpp"

namespace flowgate::state {

namespace {

using Param = std::optional<std::string>;
using queue::QueueUnavailable;

std::string str(std::int64_t value) { return std::to_string(value); }

std::string hex(const std::string& bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

// Free text from plugins or senders (errors, delivery ids) may hold any bytes; a text
// column takes only UTF-8.
Param optionalText(const std::string& value) {
    return value.empty() ? Param() : Param(common::replaceInvalidUtf8(value));
}

// The embedded queue's attempt outcome and execution status for a settlement
// (sqlite_queue.cpp applySettle); status nullopt: derive it from the items left.
const char* outcomeOf(const Settlement& s) {
    switch (s.kind) {
    case Settlement::Kind::completed: return "completed";
    case Settlement::Kind::retry: return s.failed ? "failed" : "retry";
    case Settlement::Kind::deadLetter: return "dead";
    case Settlement::Kind::wait: return "waiting";
    case Settlement::Kind::release: return "released";
    }
    return "completed";
}

Param statusOf(const Settlement& s) {
    switch (s.kind) {
    case Settlement::Kind::completed:
        for (const auto& next : s.next)
            if (next.executionId == s.item.executionId) return "running";
        return std::nullopt;
    case Settlement::Kind::retry: return s.failed ? "failed" : "running";
    case Settlement::Kind::deadLetter: return "dead";
    case Settlement::Kind::wait: return std::nullopt;
    case Settlement::Kind::release: return "running";
    }
    return std::nullopt;
}

const char* kindName(Settlement::Kind kind) {
    switch (kind) {
    case Settlement::Kind::completed: return "completed";
    case Settlement::Kind::retry: return "retry";
    case Settlement::Kind::deadLetter: return "deadLetter";
    case Settlement::Kind::wait: return "wait";
    case Settlement::Kind::release: return "release";
    }
    return "completed";
}

// One statement per settlement. Every change is conditional on `claim`: the item's id
// entering settled_items, which happens once per item id however often it is delivered.
// The status CASE sees the items as they were before this statement (one snapshot), so it
// leaves out the item being settled itself ($1). Parameters:
//  $1 item  $2 flow  $3 execution  $4 step  $5 attempt  $6 startedAt  $7 error
//  $8 outcome  $9 status or NULL  $10 kind  $11 wait token  $12 message  $13 wait ms
//  $14 failed_attempts of the new items  $15-$18 the new items' ids, flows, executions, steps
//  $19-$23 the chained runs' steps, outcomes, errors ('' = none), started ms, duration ms
constexpr const char* kSettle = R"sql(
WITH claim AS (
    INSERT INTO settled_items (item_id, settled_at_ms) VALUES ($1, flowgate_now_ms())
    ON CONFLICT DO NOTHING RETURNING item_id),
gone AS (
    DELETE FROM items WHERE item_id = $1 AND $10::text <> 'wait' AND EXISTS (SELECT 1 FROM claim)),
parked AS (
    INSERT INTO items (item_id, flow_id, execution_id, step_id, state, wait_id, wait_token,
                       message, failed_attempts, due_at_ms)
    SELECT $1, $2, $3, $4, 'parked', nextval('wait_ids'), $11, $12, $5::int - 1,
           flowgate_now_ms() + $13::bigint
    FROM claim WHERE $10::text = 'wait'
    ON CONFLICT (item_id) DO UPDATE SET state = 'parked', wait_id = EXCLUDED.wait_id,
        wait_token = EXCLUDED.wait_token, message = EXCLUDED.message,
        failed_attempts = EXCLUDED.failed_attempts, due_at_ms = EXCLUDED.due_at_ms),
nexts AS (
    INSERT INTO items (item_id, flow_id, execution_id, step_id, state, failed_attempts)
    SELECT u.i, u.f, u.e, u.s, 'queued', $14::int
    FROM unnest($15::text[], $16::text[], $17::text[], $18::text[]) AS u(i, f, e, s), claim
    ON CONFLICT (item_id) DO NOTHING),
dead AS (
    INSERT INTO dead_letters (item_id, flow_id, execution_id, step_id, message, error,
                              attempts, failed_at_ms)
    SELECT $1, $2, $3, $4, COALESCE($12, ''), COALESCE($7, ''), $5::int, flowgate_now_ms()
    FROM claim WHERE $10::text = 'deadLetter'),
history AS (
    UPDATE executions SET updated_at_ms = flowgate_now_ms(), status = CASE
        WHEN status = 'dead' THEN 'dead'
        WHEN $9::text IS NOT NULL THEN $9::text
        WHEN $10::text <> 'wait' AND NOT EXISTS (
            SELECT 1 FROM items WHERE execution_id = $3 AND item_id <> $1) THEN 'succeeded'
        WHEN EXISTS (SELECT 1 FROM items WHERE execution_id = $3 AND item_id <> $1
                     AND state <> 'parked') THEN 'running'
        ELSE 'waiting' END
    WHERE request_id = $3 AND EXISTS (SELECT 1 FROM claim) RETURNING seq),
attempt AS (
    INSERT INTO execution_attempts (execution_seq, step_id, attempt, started_at_ms,
                                    duration_ms, outcome, error)
    SELECT seq, $4, $5::int, COALESCE($6::bigint, flowgate_now_ms()),
           GREATEST(flowgate_now_ms() - COALESCE($6::bigint, flowgate_now_ms()), 0), $8, $7
    FROM history RETURNING execution_seq),
chained AS (
    INSERT INTO execution_attempts (execution_seq, step_id, attempt, started_at_ms,
                                    duration_ms, outcome, error)
    SELECT a.execution_seq, u.s, 1, u.t::bigint, u.d::bigint, u.o, NULLIF(u.e, '')
    FROM attempt a,
         unnest($19::text[], $20::text[], $21::text[], $22::text[], $23::text[])
             WITH ORDINALITY AS u(s, o, e, t, d, n)
    ORDER BY u.n)
SELECT EXISTS (SELECT 1 FROM claim)
)sql";

class PostgresState final : public SharedState {
public:
    explicit PostgresState(const PostgresStateOptions& options)
        : options_(options),
          pool_({options.url, options.timeout, "flowgate"}, options.connections),
          claimMs_(str(options.publishClaim.count())) {
        run([&] { migrate(pool_); });
    }

    std::optional<std::string> received(const Received& r) override {
        std::vector<pg::Statement> statements;
        const bool once = !r.dedupeKey.empty();
        if (once) {
            // An expired key is taken over in place: its window starts again. Of
            // concurrent inserts of one key, the later waits for the first to commit,
            // then finds the key live and changes nothing.
            statements.push_back(
                {"INSERT INTO deliveries (key, execution_id, expires_at_ms) "
                 "VALUES (decode($1, 'hex'), $2, flowgate_now_ms() + $3::bigint) "
                 "ON CONFLICT (key) DO UPDATE SET execution_id = EXCLUDED.execution_id, "
                 "expires_at_ms = EXCLUDED.expires_at_ms "
                 "WHERE deliveries.expires_at_ms <= flowgate_now_ms()",
                 {hex(r.dedupeKey), r.executionId, str(r.window.count())}});
            statements.push_back({"SELECT execution_id FROM deliveries WHERE key = decode($1, 'hex')",
                                  {hex(r.dedupeKey)}});
        }
        std::vector<std::string> ids, flows, executions, steps;
        for (const auto& item : r.items) {
            ids.push_back(item.itemId);
            flows.push_back(item.flowId);
            executions.push_back(item.executionId);
            steps.push_back(item.stepId);
        }
        statements.push_back(
            {"WITH own AS (SELECT $9::text IS NULL OR EXISTS (SELECT 1 FROM deliveries "
             "  WHERE key = decode($9::text, 'hex') AND execution_id = $1) AS ok), "
             "execution AS (INSERT INTO executions (request_id, flow_id, status, received_at_ms, "
             "  updated_at_ms, delivery_id) SELECT $1, $2, 'running', flowgate_now_ms(), "
             "  flowgate_now_ms(), $3 FROM own WHERE ok "
             "  ON CONFLICT (request_id) DO NOTHING RETURNING seq), "
             "message AS (INSERT INTO execution_messages (seq, message) "
             "  SELECT seq, $4 FROM execution), "
             "item AS (INSERT INTO items (item_id, flow_id, execution_id, step_id, state) "
             "  SELECT u.i, u.f, u.e, u.s, 'queued' "
             "  FROM unnest($5::text[], $6::text[], $7::text[], $8::text[]) AS u(i, f, e, s), own "
             "  WHERE own.ok) "
             "SELECT 1",
             {r.executionId, r.flowId, optionalText(queue::deliveryIdOfKey(r.dedupeKey)),
              historyMessage(r.message), pg::textArray(ids), pg::textArray(flows),
              pg::textArray(executions), pg::textArray(steps),
              once ? Param(hex(r.dedupeKey)) : Param()}});
        const auto results = transaction(statements);
        maintainNowAndThen();
        if (once) {
            const pg::Result& owner = results[1];
            if (owner.rows() > 0 && owner.text(0, 0) != r.executionId) return owner.text(0, 0);
        }
        return std::nullopt;
    }

    void forgetReceived(const std::string& executionId, const std::string& dedupeKey) override {
        std::vector<pg::Statement> statements;
        if (!dedupeKey.empty())
            statements.push_back(
                {"DELETE FROM deliveries WHERE key = decode($1, 'hex') AND execution_id = $2",
                 {hex(dedupeKey), executionId}});
        statements.push_back(
            {"WITH execution AS (DELETE FROM executions WHERE request_id = $1 RETURNING seq), "
             "message AS (DELETE FROM execution_messages WHERE seq IN (SELECT seq FROM execution)), "
             "attempt AS (DELETE FROM execution_attempts "
             "  WHERE execution_seq IN (SELECT seq FROM execution)) "
             "DELETE FROM items WHERE execution_id = $1",
             {executionId}});
        transaction(statements);
    }

    std::vector<SettleResult> settle(const std::vector<Settlement>& settlements) override {
        if (settlements.empty()) return {};
        // Settles of one execution's items take its row lock first, so that each derives
        // the status from what the one before it left (else two branches finishing
        // together could both see the other and leave the execution "running"). Sorted,
        // so that two batches never wait for each other in a circle.
        std::vector<std::string> executions;
        for (const auto& s : settlements) executions.push_back(s.item.executionId);
        std::sort(executions.begin(), executions.end());
        executions.erase(std::unique(executions.begin(), executions.end()), executions.end());
        std::vector<pg::Statement> statements;
        statements.push_back({"SELECT 1 FROM executions WHERE request_id = ANY($1::text[]) "
                              "ORDER BY request_id FOR UPDATE",
                              {pg::textArray(executions)}});
        for (const auto& s : settlements) statements.push_back(settleStatement(s));
        const auto results = transaction(statements);
        maintainNowAndThen();
        std::vector<SettleResult> out;
        for (std::size_t i = 0; i < settlements.size(); ++i)
            out.push_back(results[i + 1].boolean(0, 0) ? SettleResult::applied
                                                       : SettleResult::alreadySettled);
        return out;
    }

    void lost(const ItemRef& item, int attempt, std::int64_t startedAtMs) override {
        transaction({{"INSERT INTO execution_attempts (execution_seq, step_id, attempt, "
                      "started_at_ms, duration_ms, outcome, error) "
                      "SELECT seq, $2, $3::int, COALESCE($4::bigint, flowgate_now_ms()), "
                      "GREATEST(flowgate_now_ms() - COALESCE($4::bigint, flowgate_now_ms()), 0), "
                      "'lost', 'the worker stopped before the step reported (crash or kill)' "
                      "FROM executions WHERE request_id = $1",
                      {item.executionId, item.stepId, str(attempt),
                       startedAtMs > 0 ? Param(str(startedAtMs)) : Param()}}});
    }

    std::vector<queue::WaitingItem> waiting(const std::string& executionId) override {
        const auto results = transaction(
            {{"SELECT wait_id, flow_id, step_id, message, wait_token FROM items "
              "WHERE execution_id = $1 AND state = 'parked' ORDER BY wait_id",
              {executionId}}});
        std::vector<queue::WaitingItem> items;
        const pg::Result& r = results[0];
        for (int row = 0; row < r.rows(); ++row)
            items.push_back({r.integer(row, 0), r.text(row, 1), r.text(row, 2), r.text(row, 3),
                             r.text(row, 4)});
        return items;
    }

    std::optional<Publish> resume(std::int64_t waitId, const std::string& waitToken,
                                  const std::string& message) override {
        // The execution's row lock first, as settle() takes it. The status needs no
        // look at the other items: a dead letter keeps the execution dead, else the
        // resumed item makes it run.
        const auto results = transaction(
            {{"SELECT 1 FROM executions WHERE request_id IN "
              "(SELECT execution_id FROM items WHERE wait_id = $1) FOR UPDATE",
              {str(waitId)}},
             {"WITH resumed AS (UPDATE items SET item_id = gen_random_uuid()::text, "
              "  state = 'publishing', message = $3, wait_token = NULL, "
              "  due_at_ms = flowgate_now_ms() + $4::bigint "
              "  WHERE wait_id = $1 AND wait_token = $2 AND state = 'parked' "
              "  RETURNING item_id, flow_id, execution_id, step_id, message, failed_attempts), "
              "history AS (UPDATE executions SET updated_at_ms = flowgate_now_ms(), status = "
              "  CASE WHEN EXISTS (SELECT 1 FROM dead_letters d WHERE d.execution_id = "
              "  executions.request_id) THEN 'dead' ELSE 'running' END "
              "  WHERE request_id IN (SELECT execution_id FROM resumed)) "
              "SELECT * FROM resumed",
              {str(waitId), waitToken, message, claimMs_}}});
        auto rows = publishesOf(results[1]);
        if (rows.empty()) return std::nullopt;
        return std::move(rows.front());
    }

    std::vector<Publish> claimDue(std::size_t max) override {
        // SKIP LOCKED: processes claiming at once take different rows. A timed-out wait
        // gets a new item id here; a claim that ran out keeps its id, so the broker's
        // copies (if the first publisher got that far) are one item.
        const auto results = transaction(
            {{"WITH due AS (SELECT item_id FROM items WHERE state <> 'queued' "
              "  AND due_at_ms <= flowgate_now_ms() ORDER BY due_at_ms LIMIT $1 "
              "  FOR UPDATE SKIP LOCKED) "
              "UPDATE items i SET item_id = CASE WHEN i.state = 'parked' "
              "  THEN gen_random_uuid()::text ELSE i.item_id END, "
              "  state = 'publishing', wait_token = NULL, "
              "  due_at_ms = flowgate_now_ms() + $2::bigint "
              "FROM due WHERE i.item_id = due.item_id "
              "RETURNING i.item_id, i.flow_id, i.execution_id, i.step_id, i.message, "
              "i.failed_attempts",
              {str(static_cast<std::int64_t>(max)), claimMs_}}});
        maintainNowAndThen();
        return publishesOf(results[0]);
    }

    void published(const std::vector<std::string>& itemIds) override {
        if (itemIds.empty()) return;
        transaction({{"UPDATE items SET state = 'queued', message = NULL, due_at_ms = NULL "
                      "WHERE item_id = ANY($1::text[]) AND state = 'publishing'",
                      {pg::textArray(itemIds)}}});
    }

    bool hasPending(const std::string& executionId) override {
        const auto results = transaction(
            {{"SELECT EXISTS (SELECT 1 FROM items WHERE execution_id = $1)", {executionId}}});
        return results[0].boolean(0, 0);
    }

    void setPaused(const std::string& flowId, bool paused) override {
        transaction({{paused ? "INSERT INTO paused_flows (flow_id, paused_at_ms) "
                               "VALUES ($1, flowgate_now_ms()) ON CONFLICT DO NOTHING"
                             : "DELETE FROM paused_flows WHERE flow_id = $1",
                      {flowId}}});
    }

    std::set<std::string> pausedFlows() override {
        const auto results = transaction({{"SELECT flow_id FROM paused_flows", {}}});
        std::set<std::string> flows;
        for (int row = 0; row < results[0].rows(); ++row) flows.insert(results[0].text(row, 0));
        return flows;
    }

    queue::DeadLetterPage deadLetterPage(const queue::DeadLetterQuery& query) override {
        return run([&] { return readDeadLetterPage(pool_, query); });
    }

    std::vector<Publish> replayDeadLetter(std::int64_t id) override {
        queue::DeadLetterQuery query;
        query.beforeId = id + 1;  // with `only`, selects exactly row `id`
        return replay(query, id, 1);
    }

    std::vector<Publish> replayDeadLetters(const queue::DeadLetterQuery& query,
                                           std::size_t max) override {
        queue::DeadLetterQuery filter = query;
        filter.beforeId.reset();  // the cursor is ignored
        return replay(filter, std::nullopt, max);
    }

    bool deleteDeadLetter(std::int64_t id) override {
        const auto results =
            transaction({{"DELETE FROM dead_letters WHERE seq = $1", {str(id)}}});
        return results[0].changed() > 0;
    }

    std::vector<queue::DeadLetter> deadLetters(std::size_t limit) override {
        queue::DeadLetterQuery query;
        query.limit = limit;
        return deadLetterPage(query).items;
    }

    StateStats stats() override {
        const auto results = transaction(
            {{"SELECT (SELECT COUNT(*) FROM items), "
              "(SELECT COUNT(*) FROM items WHERE state = 'parked'), "
              "(SELECT COUNT(*) FROM dead_letters), (SELECT COUNT(*) FROM deliveries)",
              {}}});
        const pg::Result& r = results[0];
        return {r.integer(0, 0), r.integer(0, 1), r.integer(0, 2), r.integer(0, 3)};
    }

    queue::ExecutionPage executions(const queue::ExecutionQuery& query) override {
        return run([&] { return readExecutions(pool_, query); });
    }
    std::optional<queue::ExecutionDetail> execution(const std::string& requestId) override {
        return run([&] { return readExecution(pool_, requestId); });
    }
    std::map<std::string, queue::FlowActivity> flowActivity() override {
        return run([&] { return readFlowActivity(pool_); });
    }

private:
    // pg::Error (and a schema refusal) as the interface's QueueUnavailable. Messages come
    // from libpq and the server, which never repeat the connection's password.
    template <class F>
    auto run(F&& f) -> decltype(f()) {
        try {
            return f();
        } catch (const pg::Error& e) {
            throw QueueUnavailable(std::string("shared state unavailable: ") + e.what());
        } catch (const std::runtime_error& e) {
            throw QueueUnavailable(std::string("shared state: ") + e.what());
        }
    }

    std::vector<pg::Result> transaction(const std::vector<pg::Statement>& statements) {
        return run([&] { return pool_.transaction(statements); });
    }

    Param historyMessage(const std::string& message) const {
        if (message.size() <= options_.maxMessageBytes) return message;
        return R"({"truncated":true,"bytes":)" + str(static_cast<std::int64_t>(message.size())) + "}";
    }

    pg::Statement settleStatement(const Settlement& s) const {
        std::vector<ItemRef> next;
        int nextFailedAttempts = 0;
        switch (s.kind) {
        case Settlement::Kind::completed: next = s.next; break;
        case Settlement::Kind::retry:
        case Settlement::Kind::release:
            next.push_back({s.successorId, s.item.flowId, s.item.executionId, s.item.stepId});
            // A failed attempt stays counted; a retryLater or a release gives it back.
            nextFailedAttempts = s.kind == Settlement::Kind::retry && s.failed ? s.attempt
                                                                               : s.attempt - 1;
            break;
        case Settlement::Kind::deadLetter:
        case Settlement::Kind::wait: break;
        }
        std::vector<std::string> ids, flows, executions, steps;
        for (const auto& item : next) {
            ids.push_back(item.itemId);
            flows.push_back(item.flowId);
            executions.push_back(item.executionId);
            steps.push_back(item.stepId);
        }
        // Steps chained after the item: attempts of their own steps (queue::ChainedRun).
        std::vector<std::string> chainedSteps, chainedOutcomes, chainedErrors, chainedStarts,
            chainedDurations;
        for (const auto& run : s.chained) {
            chainedSteps.push_back(run.stepId);
            chainedOutcomes.push_back(run.ok ? "completed" : "failed");
            chainedErrors.push_back(run.error);
            chainedStarts.push_back(str(run.startedAtMs));
            chainedDurations.push_back(str(run.durationUs / 1000));
        }
        const bool carriesMessage =
            s.kind == Settlement::Kind::wait || s.kind == Settlement::Kind::deadLetter;
        return {kSettle,
                {s.item.itemId, s.item.flowId, s.item.executionId, s.item.stepId, str(s.attempt),
                 s.startedAtMs > 0 ? Param(str(s.startedAtMs)) : Param(), optionalText(s.error),
                 std::string(outcomeOf(s)), statusOf(s), std::string(kindName(s.kind)),
                 s.kind == Settlement::Kind::wait ? Param(s.waitToken) : Param(),
                 carriesMessage ? Param(s.message) : Param(), str(s.delay.count()),
                 str(nextFailedAttempts), pg::textArray(ids), pg::textArray(flows),
                 pg::textArray(executions), pg::textArray(steps), pg::textArray(chainedSteps),
                 pg::textArray(chainedOutcomes), pg::textArray(chainedErrors),
                 pg::textArray(chainedStarts), pg::textArray(chainedDurations)}};
    }

    // Dead letters back to items, oldest first, claimed for publishing with a fresh
    // attempt count; each gets a "replayed" attempt, and its execution runs again unless
    // another dead letter of it is left (the snapshot still shows the rows being
    // deleted, hence "NOT IN picked").
    std::vector<Publish> replay(const queue::DeadLetterQuery& filter,
                                std::optional<std::int64_t> only, std::size_t max) {
        auto params = deadLetterFilterParams(filter);
        params.push_back(str(static_cast<std::int64_t>(max)));
        params.push_back(only ? Param(str(*only)) : Param());
        params.push_back(claimMs_);
        const auto results = transaction(
            {{std::string("WITH picked AS (DELETE FROM dead_letters WHERE seq IN ("
                          "  SELECT seq FROM dead_letters WHERE ") +
                  kDeadLetterFilter +
                  " AND ($6::bigint IS NULL OR seq = $6::bigint) "
                  "  ORDER BY seq LIMIT $5 FOR UPDATE SKIP LOCKED) "
                  "  RETURNING seq, flow_id, execution_id, step_id, message, "
                  "  gen_random_uuid()::text AS item_id), "
                  "item AS (INSERT INTO items (item_id, flow_id, execution_id, step_id, state, "
                  "  message, failed_attempts, due_at_ms) SELECT item_id, flow_id, execution_id, "
                  "  step_id, 'publishing', message, 0, flowgate_now_ms() + $7::bigint "
                  "  FROM picked), "
                  "history AS (UPDATE executions SET updated_at_ms = flowgate_now_ms(), status = "
                  "  CASE WHEN EXISTS (SELECT 1 FROM dead_letters d WHERE d.execution_id = "
                  "  executions.request_id AND d.seq NOT IN (SELECT seq FROM picked)) "
                  "  THEN 'dead' ELSE 'running' END "
                  "  WHERE request_id IN (SELECT execution_id FROM picked)), "
                  "marker AS (INSERT INTO execution_attempts (execution_seq, step_id, attempt, "
                  "  started_at_ms, duration_ms, outcome) SELECT e.seq, p.step_id, 0, "
                  "  flowgate_now_ms(), 0, 'replayed' FROM picked p "
                  "  JOIN executions e ON e.request_id = p.execution_id ORDER BY p.seq) "
                  "SELECT item_id, flow_id, execution_id, step_id, message, 0 FROM picked "
                  "ORDER BY seq",
              std::move(params)}});
        return publishesOf(results[0]);
    }

    static std::vector<Publish> publishesOf(const pg::Result& r) {
        std::vector<Publish> out;
        for (int row = 0; row < r.rows(); ++row) {
            Publish& p = out.emplace_back();
            p.item = {r.text(row, 0), r.text(row, 1), r.text(row, 2), r.text(row, 3)};
            p.message = r.isNull(row, 4) ? std::string() : r.text(row, 4);
            p.failedAttempts = static_cast<int>(r.integer(row, 5));
        }
        return out;
    }

    // Deletes a small batch of what has expired: dedupe keys past their window, settled
    // ids and executions past the history's retention. At most once a second per
    // process, after a write, in its own transaction; a failure only delays it.
    void maintainNowAndThen() {
        const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
        auto due = nextMaintenance_.load();
        if (now < due) return;
        const auto next = now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                    std::chrono::seconds(1))
                                    .count();
        if (!nextMaintenance_.compare_exchange_strong(due, next)) return;  // another thread
        try {
            pool_.transaction(
                {{"DELETE FROM deliveries WHERE key IN (SELECT key FROM deliveries "
                  "WHERE expires_at_ms <= flowgate_now_ms() LIMIT 256)",
                  {}},
                 {"DELETE FROM settled_items WHERE item_id IN (SELECT item_id FROM settled_items "
                  "WHERE settled_at_ms < flowgate_now_ms() - $1::bigint LIMIT 1000)",
                  {str(options_.maxAge.count())}},
                 {"WITH newest AS (SELECT max(seq) AS seq FROM executions), "
                  "cut AS (SELECT o.seq FROM (SELECT seq, received_at_ms FROM executions "
                  "  ORDER BY seq LIMIT 500) o, newest "
                  "  WHERE o.seq <= newest.seq - $1::bigint "
                  "  OR o.received_at_ms < flowgate_now_ms() - $2::bigint), "
                  "attempt AS (DELETE FROM execution_attempts WHERE execution_seq IN "
                  "  (SELECT seq FROM cut)), "
                  "message AS (DELETE FROM execution_messages WHERE seq IN (SELECT seq FROM cut)) "
                  "DELETE FROM executions WHERE seq IN (SELECT seq FROM cut)",
                  {str(options_.maxExecutions), str(options_.maxAge.count())}}});
        } catch (const pg::Error&) {
            // Expired rows mean nothing to readers: the next round deletes them.
        }
    }

    const PostgresStateOptions options_;
    pg::Pool pool_;
    const std::string claimMs_;
    std::atomic<std::int64_t> nextMaintenance_{0};
};

}  // namespace

std::unique_ptr<SharedState> openPostgresState(const PostgresStateOptions& options) {
    return std::make_unique<PostgresState>(options);
}

}  // namespace flowgate::state
