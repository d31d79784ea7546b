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
using flowgate::test::QueueTempDir;
using flowgate::test::takeAll;

namespace {

void execSql(const std::filesystem::path& file, const char* sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &error);
    INFO((error ? error : ""));
    sqlite3_free(error);
    sqlite3_close(db);
    REQUIRE(rc == SQLITE_OK);
}

std::int64_t queryInt(const std::filesystem::path& file, const char* sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
    const std::int64_t value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return value;
}

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

}  // namespace

TEST_CASE("a version-1 queue file opens with its ready, leased, parked and dead items intact",
          "[queue][schema]") {
    QueueTempDir dir;
    const auto file = dir.path() / "queue.db";
    execSql(file, kVersion1File);
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
}

TEST_CASE("a migrated queue file reopens as it was left", "[queue][schema]") {
    QueueTempDir dir;
    execSql(dir.path() / "queue.db", kVersion1File);
    { SqliteQueue queue(dir.options()); }
    CHECK(queryInt(dir.path() / "queue.db", "PRAGMA user_version") == 2);
    SqliteQueue queue(dir.options());
    auto taken = takeAll(queue);
    REQUIRE(taken.size() == 2);
    CHECK(taken[1].message == R"({"n":"leased"})");
}

TEST_CASE("a queue file of a newer schema is refused and gets none of this build's tables",
          "[queue][schema]") {
    QueueTempDir dir;
    const auto file = dir.path() / "queue.db";
    execSql(file, "CREATE TABLE future (x); PRAGMA user_version = 3;");
    CHECK_THROWS_WITH(SqliteQueue(dir.options()),
                      Catch::Contains("has queue schema version 3, newer than this build's 2"));
    CHECK(queryInt(file, "PRAGMA user_version") == 3);
    CHECK(queryInt(file, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'work_items'") == 0);
}
