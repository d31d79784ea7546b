#include "state/postgres_schema.hpp"

#include <stdexcept>
#include <string>

namespace flowgate::state {

namespace {

// Version 1. Why the tables look as they do:
// - `items`: one row per work item known to be pending: 'queued' (in the broker; no
//   message, the broker holds it), 'parked' (a wait: message, token, timeout in
//   due_at_ms, its wait_id for resume URLs), 'publishing' (handed to a publisher with its
//   message until due_at_ms; published() turns it 'queued'). Status and hasPending()
//   are derived from it, as the embedded queue derives them from its work_items.
// - `settled_items`: the ids of settled items, so a redelivered item settles once; kept
//   as long as history (a redelivery after that is not plausible).
// - `deliveries.key` is bytea: a dedupe key holds a header value, which may be any bytes.
// - The history tables follow the embedded queue's (sqlite_history.cpp): the input
//   message in its own table so that status updates rewrite only the small row.
// - Every time that decides something is the server's (flowgate_now_ms()), so machines
//   with differing clocks agree on windows, timeouts and claims.
constexpr const char* kVersion1 = R"sql(
CREATE FUNCTION flowgate_now_ms() RETURNS bigint LANGUAGE sql STABLE
    AS $f$ SELECT floor(extract(epoch FROM now()) * 1000)::bigint $f$;
CREATE TABLE deliveries (
    key            bytea  PRIMARY KEY,
    execution_id   text   NOT NULL,
    expires_at_ms  bigint NOT NULL
);
CREATE INDEX deliveries_expires ON deliveries (expires_at_ms);
CREATE TABLE executions (
    seq            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id     text   NOT NULL UNIQUE,
    flow_id        text   NOT NULL,
    status         text   NOT NULL,
    received_at_ms bigint NOT NULL,
    updated_at_ms  bigint NOT NULL,
    delivery_id    text
);
CREATE INDEX executions_flow ON executions (flow_id, seq);
CREATE TABLE execution_messages (
    seq            bigint PRIMARY KEY,
    message        text   NOT NULL
);
CREATE TABLE execution_attempts (
    seq            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    execution_seq  bigint NOT NULL,
    step_id        text   NOT NULL,
    attempt        int    NOT NULL,
    started_at_ms  bigint NOT NULL,
    duration_ms    bigint NOT NULL,
    outcome        text   NOT NULL,
    error          text
);
CREATE INDEX execution_attempts_execution ON execution_attempts (execution_seq, seq);
CREATE SEQUENCE wait_ids;
CREATE TABLE items (
    item_id        text   PRIMARY KEY,
    flow_id        text   NOT NULL,
    execution_id   text   NOT NULL,
    step_id        text   NOT NULL,
    state          text   NOT NULL CHECK (state IN ('queued', 'parked', 'publishing')),
    wait_id        bigint UNIQUE,
    wait_token     text,
    message        text,
    failed_attempts int   NOT NULL DEFAULT 0,
    due_at_ms      bigint
);
CREATE INDEX items_execution ON items (execution_id);
CREATE INDEX items_due ON items (due_at_ms) WHERE state <> 'queued';
CREATE TABLE settled_items (
    item_id        text   PRIMARY KEY,
    settled_at_ms  bigint NOT NULL
);
CREATE INDEX settled_items_age ON settled_items (settled_at_ms);
CREATE TABLE dead_letters (
    seq            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item_id        text   NOT NULL,
    flow_id        text   NOT NULL,
    execution_id   text   NOT NULL,
    step_id        text   NOT NULL,
    message        text   NOT NULL,
    error          text   NOT NULL,
    attempts       int    NOT NULL,
    failed_at_ms   bigint NOT NULL
);
CREATE INDEX dead_letters_execution ON dead_letters (execution_id);
CREATE INDEX dead_letters_flow ON dead_letters (flow_id, seq);
CREATE TABLE paused_flows (
    flow_id        text   PRIMARY KEY,
    paused_at_ms   bigint NOT NULL
);
)sql";

// Migrations by the version they lead to; index 0 is version 1.
constexpr const char* kMigrations[] = {kVersion1};
static_assert(std::size(kMigrations) == kSchemaVersion);

}  // namespace

void migrate(pg::Pool& pool) {
    // One DO block: the lock, the version check and the migrations run server-side in
    // one statement; the lock (transaction-scoped) makes concurrent starts wait for the
    // first one's migration and then find nothing to do.
    std::string block =
        "DO $migrate$ DECLARE v int; BEGIN "
        "PERFORM pg_advisory_xact_lock(7423190013); "
        "CREATE TABLE IF NOT EXISTS flowgate_schema (version int NOT NULL); "
        "SELECT max(version) INTO v FROM flowgate_schema; v := coalesce(v, 0); ";
    for (int version = 1; version <= kSchemaVersion; ++version) {
        block += "IF v < " + std::to_string(version) + " THEN " + kMigrations[version - 1] +
                 " DELETE FROM flowgate_schema; INSERT INTO flowgate_schema VALUES (" +
                 std::to_string(version) + "); END IF; ";
    }
    block += "END $migrate$";
    const auto results =
        pool.transaction({{block, {}}, {"SELECT max(version) FROM flowgate_schema", {}}});
    const std::int64_t stored = results[1].integer(0, 0);
    if (stored > kSchemaVersion)
        throw std::runtime_error("the shared state's schema is version " + std::to_string(stored) +
                                 ", newer than this build's " + std::to_string(kSchemaVersion) +
                                 ": upgrade Flowgate on this machine");
}

}  // namespace flowgate::state
