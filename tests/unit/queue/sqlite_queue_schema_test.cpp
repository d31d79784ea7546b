// SqliteQueue's file format across versions: a file of an older schema is migrated at open
// with every item kept; a file of a newer schema is refused untouched.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <chrono>
#include <string>

#include "queue/sqlite_queue.hpp"
#include "unit/queue/queue_test_support.hpp"

using namespace std::chrono_literals;
using flowgate::queue::DeadLetterQuery;
using flowgate::queue::Outcome;
using flowgate::queue::SqliteQueue;
using flowgate::test::execSql;
using flowgate::test::queryInt;
using flowgate::test::QueueTempDir;
using flowgate::test::takeAll;

namespace {

// The layout the queue wrote as schema version 1 (messages inside work_items), with one
// item of each state: ready (id 3), leased by a process that died (id 5), parked until
// far in the future (id 7), and one dead letter (of item 2). Ids up to 9 were handed out.
constexpr const char* kVersion1File = R"sql(
PRAGMA journal_mode = WAL;
CREATE TABLE work_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT, flow_id TEXT NOT NULL, execution_id TEXT NOT NULL,
    step_id TEXT NOT NULL, message TEXT NOT NULL, failed_attempts INTEGER NOT NULL DEFAULT 0,
    available_at_ms INTEGER NOT NULL, lease_token INTEGER, last_error TEXT,
    created_at_ms INTEGER NOT NULL, wait_token TEXT, leased_at_ms INTEGER);
CREATE INDEX work_items_available ON work_items (available_at_ms);
CREATE INDEX work_items_execution ON work_items (execution_id);
CREATE INDEX work_items_waiting ON work_items (execution_id) WHERE wait_token IS NOT NULL;
CREATE TABLE dead_letters (
    seq INTEGER PRIMARY KEY, item_id INTEGER NOT NULL, flow_id TEXT NOT NULL,
    execution_id TEXT NOT NULL, step_id TEXT NOT NULL, message TEXT NOT NULL,
    error TEXT NOT NULL, attempts INTEGER NOT NULL, failed_at_ms INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL);
CREATE TABLE deliveries (key TEXT PRIMARY KEY, execution_id TEXT NOT NULL,
    expires_at_ms INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO work_items (id, flow_id, execution_id, step_id, message, failed_attempts,
    available_at_ms, created_at_ms) VALUES (3, 'f', 'e-ready', 'jq', '{"n":"ready"}', 0, 10, 10);
INSERT INTO work_items (id, flow_id, execution_id, step_id, message, failed_attempts,
    available_at_ms, lease_token, created_at_ms, leased_at_ms)
    VALUES (5, 'f', 'e-leased', 'jq', '{"n":"leased"}', 2, 99999999999999, 42, 20, 30);
INSERT INTO work_items (id, flow_id, execution_id, step_id, message, failed_attempts,
    available_at_ms, created_at_ms, wait_token)
    VALUES (7, 'f', 'e-parked', 'wait', '{"n":"parked"}', 0, 99999999999999, 40, 'tok');
INSERT INTO dead_letters (item_id, flow_id, execution_id, step_id, message, error, attempts,
    failed_at_ms, created_at_ms) VALUES (2, 'f', 'e-dead', 'jq', '{"n":"dead"}', 'boom', 3, 5, 1);
UPDATE sqlite_sequence SET seq = 9 WHERE name = 'work_items';
PRAGMA user_version = 1;
)sql";

// The same items as schema version 2 stored them (messages in work_item_messages), with the
// history of the ready and the leased item's executions (received now: older ones would
// be pruned by age at once).
constexpr const char* kVersion2File = R"sql(
PRAGMA journal_mode = WAL;
CREATE TABLE work_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT, flow_id TEXT NOT NULL, execution_id TEXT NOT NULL,
    step_id TEXT NOT NULL, failed_attempts INTEGER NOT NULL DEFAULT 0,
    available_at_ms INTEGER NOT NULL, lease_token INTEGER, last_error TEXT,
    created_at_ms INTEGER NOT NULL, wait_token TEXT, leased_at_ms INTEGER);
CREATE TABLE work_item_messages (item_id INTEGER PRIMARY KEY, message TEXT NOT NULL);
CREATE INDEX work_items_available ON work_items (available_at_ms);
CREATE INDEX work_items_execution ON work_items (execution_id);
CREATE INDEX work_items_waiting ON work_items (execution_id) WHERE wait_token IS NOT NULL;
CREATE TABLE dead_letters (
    seq INTEGER PRIMARY KEY, item_id INTEGER NOT NULL, flow_id TEXT NOT NULL,
    execution_id TEXT NOT NULL, step_id TEXT NOT NULL, message TEXT NOT NULL,
    error TEXT NOT NULL, attempts INTEGER NOT NULL, failed_at_ms INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL);
CREATE TABLE deliveries (key TEXT PRIMARY KEY, execution_id TEXT NOT NULL,
    expires_at_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE executions (seq INTEGER PRIMARY KEY, request_id TEXT NOT NULL UNIQUE,
    flow_id TEXT NOT NULL, status TEXT NOT NULL, received_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL, delivery_id TEXT);
CREATE INDEX executions_flow ON executions (flow_id, seq);
CREATE TABLE execution_messages (seq INTEGER PRIMARY KEY, message TEXT NOT NULL);
CREATE TABLE execution_attempts (seq INTEGER PRIMARY KEY, execution_seq INTEGER NOT NULL,
    step_id TEXT NOT NULL, attempt INTEGER NOT NULL, started_at_ms INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL, outcome TEXT NOT NULL, error TEXT);
CREATE INDEX execution_attempts_execution ON execution_attempts (execution_seq);
CREATE INDEX dead_letters_execution ON dead_letters (execution_id);
CREATE TABLE paused_flows (flow_id TEXT PRIMARY KEY, paused_at_ms INTEGER NOT NULL)
    WITHOUT ROWID;
INSERT INTO work_items (id, flow_id, execution_id, step_id, failed_attempts,
    available_at_ms, created_at_ms) VALUES (3, 'f', 'e-ready', 'jq', 0, 10, 10);
INSERT INTO work_items (id, flow_id, execution_id, step_id, failed_attempts,
    available_at_ms, lease_token, created_at_ms, leased_at_ms)
    VALUES (5, 'f', 'e-leased', 'jq', 2, 99999999999999, 42, 20, 30);
INSERT INTO work_items (id, flow_id, execution_id, step_id, failed_attempts,
    available_at_ms, created_at_ms, wait_token)
    VALUES (7, 'f', 'e-parked', 'wait', 0, 99999999999999, 40, 'tok');
INSERT INTO work_item_messages VALUES (3, '{"n":"ready"}'), (5, '{"n":"leased"}'),
    (7, '{"n":"parked"}');
INSERT INTO dead_letters (item_id, flow_id, execution_id, step_id, message, error, attempts,
    failed_at_ms, created_at_ms) VALUES (2, 'f', 'e-dead', 'jq', '{"n":"dead"}', 'boom', 3, 5, 1);
INSERT INTO executions VALUES
    (1, 'e-ready', 'f', 'running', strftime('%s', 'now') * 1000, 10, NULL),
    (2, 'e-leased', 'f', 'running', strftime('%s', 'now') * 1000, 20, NULL);
INSERT INTO execution_messages VALUES (1, '{"n":"ready"}'), (2, '{"n":"leased"}');
UPDATE sqlite_sequence SET seq = 9 WHERE name = 'work_items';
PRAGMA user_version = 2;
)sql";

}  // namespace

TEST_CASE("an older queue file opens with its ready, leased, parked and dead items intact",
          "[queue][schema]") {
    QueueTempDir dir;
    const auto file = dir.path() / "queue.db";
    const bool version1 = GENERATE(true, false);
    INFO("schema version " << (version1 ? 1 : 2));
    execSql(file, version1 ? kVersion1File : kVersion2File);
    const auto messageBytes = std::string(R"({"n":"ready"}{"n":"leased"}{"n":"parked"})").size();

    SqliteQueue queue(dir.options());
    auto stats = queue.stats();
    CHECK(stats.ready == 3);  // the dead owner's lease is cleared; parked items count as ready
    CHECK(stats.waiting == 1);
    CHECK(stats.deadLetters == 1);
    CHECK(stats.backlogBytes == static_cast<std::int64_t>(messageBytes));

    // Ready first, then the one whose lease was cleared, at its original place in line.
    auto taken = takeAll(queue);
    REQUIRE(taken.size() == 2);
    CHECK(taken[0].id == 3);
    CHECK(taken[0].message == R"({"n":"ready"})");
    CHECK(taken[1].id == 5);
    CHECK(taken[1].message == R"({"n":"leased"})");
    CHECK(taken[1].failedAttempts == 2);  // the attempts the dead owner counted stay counted

    auto waiting = queue.waiting("e-parked");
    REQUIRE(waiting.size() == 1);
    CHECK(waiting[0].id == 7);
    CHECK(waiting[0].message == R"({"n":"parked"})");
    REQUIRE(queue.resume(7, "tok", R"({"n":"resumed"})"));

    auto dead = queue.deadLetterPage(DeadLetterQuery{});
    REQUIRE(dead.items.size() == 1);
    CHECK(dead.items[0].message == R"({"n":"dead"})");
    REQUIRE(queue.replayDeadLetter(dead.items[0].id) == std::string("e-dead"));

    auto more = takeAll(queue);
    REQUIRE(more.size() == 2);
    CHECK(more[0].id == 7);
    CHECK(more[0].message == R"({"n":"resumed"})");
    CHECK(more[1].id == 10);  // new ids go on after the highest one ever handed out
    CHECK(more[1].message == R"({"n":"dead"})");

    std::vector<Outcome> outcomes;
    for (const auto& items : {taken, more})
        for (const auto& item : items)
            outcomes.push_back(flowgate::test::outcome(item, Outcome::Kind::completed));
    queue.settle(std::move(outcomes));
    stats = queue.stats();
    CHECK(stats.ready + stats.leased == 0);
    CHECK(stats.backlogBytes == 0);
    CHECK(queryInt(file, "SELECT COUNT(*) FROM work_item_messages") == 0);
    if (!version1) {
        // The items found their executions' history: the lost lease, then the completion.
        const auto ready = queue.execution("e-ready");
        REQUIRE(ready);
        CHECK(ready->execution.status == "succeeded");
        REQUIRE(ready->attempts.size() == 1);
        CHECK(ready->attempts[0].outcome == "completed");
        const auto leased = queue.execution("e-leased");
        REQUIRE(leased);
        CHECK(leased->execution.status == "succeeded");
        REQUIRE(leased->attempts.size() == 2);
        CHECK(leased->attempts[0].outcome == "lost");
        CHECK(leased->attempts[1].outcome == "completed");
    }

    // New items after the migration run to the end as well, and share the history's copy
    // of their input.
    queue.enqueue({flowgate::queue::NewWorkItem{"f", "e-new", "jq", R"({"n":"new"})"}});
    CHECK(queryInt(file, "SELECT COUNT(*) FROM work_item_messages") == 0);
    auto fresh = takeAll(queue);
    REQUIRE(fresh.size() == 1);
    CHECK(fresh[0].message == R"({"n":"new"})");
    queue.settle({flowgate::test::outcome(fresh[0], Outcome::Kind::completed)});
    CHECK(queue.execution("e-new")->execution.status == "succeeded");
    CHECK(queue.stats().backlogBytes == 0);
}

TEST_CASE("a migrated queue file reopens as it was left", "[queue][schema]") {
    QueueTempDir dir;
    execSql(dir.path() / "queue.db", GENERATE(kVersion1File, kVersion2File));
    { SqliteQueue queue(dir.options()); }
    CHECK(queryInt(dir.path() / "queue.db", "PRAGMA user_version") == 4);
    SqliteQueue queue(dir.options());
    auto taken = takeAll(queue);
    REQUIRE(taken.size() == 2);
    CHECK(taken[1].message == R"({"n":"leased"})");
}

TEST_CASE("a queue file of a newer schema is refused and gets none of this build's tables",
          "[queue][schema]") {
    QueueTempDir dir;
    const auto file = dir.path() / "queue.db";
    execSql(file, "CREATE TABLE future (x); PRAGMA user_version = 5;");
    CHECK_THROWS_WITH(SqliteQueue(dir.options()),
                      Catch::Contains("has queue schema version 5, newer than this build's 4"));
    CHECK(queryInt(file, "PRAGMA user_version") == 5);
    CHECK(queryInt(file, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'work_items'") == 0);
}

TEST_CASE("a version 3 file's paused flow keeps its items held, and resumes them in order",
          "[queue][schema][pause]") {
    QueueTempDir dir;
    const auto file = dir.path() / "queue.db";
    {
        SqliteQueue queue(dir.options());
        for (int i = 0; i < 3; ++i)
            queue.enqueue({flowgate::queue::NewWorkItem{"held", "h" + std::to_string(i), "s",
                                                        std::to_string(i)}});
        queue.enqueue({flowgate::queue::NewWorkItem{"free", "f", "s", "x"}});
    }
    // Back to version 3's layout: no mark, the old ready index, the pause only in
    // paused_flows.
    execSql(file,
            "DROP INDEX work_items_ready; ALTER TABLE work_items DROP COLUMN paused; "
            "CREATE INDEX work_items_available ON work_items (available_at_ms); "
            "INSERT INTO paused_flows VALUES ('held', 1); PRAGMA user_version = 3;");

    SqliteQueue queue(dir.options());
    CHECK(queryInt(file, "PRAGMA user_version") == 4);
    CHECK(queryInt(file, "SELECT COUNT(*) FROM sqlite_master "
                         "WHERE name = 'work_items_available'") == 0);
    const auto during = takeAll(queue);
    REQUIRE(during.size() == 1);
    CHECK(during[0].flowId == "free");
    queue.setPaused("held", false);
    const auto after = takeAll(queue);
    REQUIRE(after.size() == 3);
    CHECK(after[0].message == "0");
    CHECK(after[1].message == "1");
    CHECK(after[2].message == "2");
}
