// SqliteQueue parking: a work item waits for resume() or its timeout, across restarts.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <chrono>
#include <string>
#include <thread>

#include "queue/sqlite_queue.hpp"
#include "unit/queue/queue_test_support.hpp"

using namespace std::chrono_literals;
using flowgate::queue::Outcome;
using flowgate::queue::SqliteQueue;
using flowgate::queue::WorkItem;
using flowgate::test::item;
using flowgate::test::outcome;
using flowgate::test::QueueTempDir;
using flowgate::test::takeAll;

namespace {

Outcome park(const WorkItem& leased, std::chrono::milliseconds timeout, std::string token,
             std::string message) {
    Outcome o = outcome(leased, Outcome::Kind::wait);
    o.delay = timeout;
    o.waitToken = std::move(token);
    o.message = std::move(message);
    return o;
}

// Leases the one item of a fresh queue and parks it.
WorkItem parkOne(SqliteQueue& queue, std::chrono::milliseconds timeout) {
    queue.enqueue({item("original")});
    auto leased = takeAll(queue);
    REQUIRE(leased.size() == 1);
    queue.settle({park(leased[0], timeout, "tok-1", "parked")});
    return leased[0];
}

}  // namespace

TEST_CASE("a parked item is not taken until resumed, then with the new message", "[queue][wait]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    const WorkItem leased = parkOne(queue, 1h);

    CHECK(takeAll(queue).empty());
    CHECK(queue.stats().waiting == 1);
    CHECK(queue.hasPending(leased.executionId));

    const auto waiting = queue.waiting(leased.executionId);
    REQUIRE(waiting.size() == 1);
    CHECK(waiting[0].id == leased.id);
    CHECK(waiting[0].waitToken == "tok-1");
    CHECK(waiting[0].message == "parked");
    CHECK(waiting[0].stepId == "step-1");
    CHECK(queue.waiting("another-execution").empty());

    CHECK_FALSE(queue.resume(leased.id, "tok-2", "wrong token"));
    CHECK(takeAll(queue).empty());

    CHECK(queue.resume(leased.id, "tok-1", "resumed"));
    CHECK_FALSE(queue.resume(leased.id, "tok-1", "twice"));  // one resume wins
    CHECK(queue.stats().waiting == 0);
    const auto again = takeAll(queue);
    REQUIRE(again.size() == 1);
    CHECK(again[0].message == "resumed");
    CHECK(again[0].failedAttempts == 0);
}

TEST_CASE("a parked item comes back by itself at its timeout, and then cannot be resumed",
          "[queue][wait]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    const WorkItem leased = parkOne(queue, 300ms);

    const auto start = std::chrono::steady_clock::now();
    const auto timedOut = queue.take(10, 30s, 5s);  // sleeps until the timeout is due
    REQUIRE(timedOut.size() == 1);
    CHECK(std::chrono::steady_clock::now() - start >= 250ms);
    CHECK(timedOut[0].message == "parked");
    CHECK_FALSE(queue.resume(leased.id, "tok-1", "too late"));
    CHECK(queue.waiting(leased.executionId).empty());
}

TEST_CASE("a parked item stays parked across a restart", "[queue][wait]") {
    QueueTempDir dir;
    std::int64_t id = 0;
    {
        SqliteQueue queue(dir.options());
        id = parkOne(queue, 1h).id;
    }
    SqliteQueue reopened(dir.options());  // clearing old leases must not free it
    CHECK(takeAll(reopened).empty());
    CHECK(reopened.resume(id, "tok-1", "resumed after restart"));
    const auto items = takeAll(reopened);
    REQUIRE(items.size() == 1);
    CHECK(items[0].message == "resumed after restart");
}

TEST_CASE("parking needs the current lease and a token", "[queue][wait]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    queue.enqueue({item("m")});
    auto leased = takeAll(queue);
    REQUIRE(leased.size() == 1);
    CHECK_THROWS_AS(queue.settle({park(leased[0], 1h, "", "x")}), std::invalid_argument);

    WorkItem stale = leased[0];
    stale.leaseToken += 1;
    queue.settle({park(stale, 1h, "tok", "x")});  // lost lease: ignored
    CHECK(queue.stats().waiting == 0);
}

TEST_CASE("a queue file made before items could wait gets the column on open", "[queue][wait]") {
    QueueTempDir dir;
    {
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open((dir.path() / "queue.db").c_str(), &db) == SQLITE_OK);
        REQUIRE(sqlite3_exec(db,
                             "CREATE TABLE work_items (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                             "flow_id TEXT NOT NULL, execution_id TEXT NOT NULL, step_id TEXT "
                             "NOT NULL, message TEXT NOT NULL, failed_attempts INTEGER NOT NULL "
                             "DEFAULT 0, available_at_ms INTEGER NOT NULL, lease_token INTEGER, "
                             "last_error TEXT, created_at_ms INTEGER NOT NULL);"
                             "INSERT INTO work_items (flow_id, execution_id, step_id, message, "
                             "available_at_ms, created_at_ms) VALUES ('f', 'e', 's', 'old', 0, 0);"
                             "PRAGMA user_version = 1;",
                             nullptr, nullptr, nullptr) == SQLITE_OK);
        sqlite3_close(db);
    }
    SqliteQueue queue(dir.options());
    auto items = takeAll(queue);
    REQUIRE(items.size() == 1);
    CHECK(items[0].message == "old");
    queue.settle({park(items[0], 1h, "tok", "parked")});
    CHECK(queue.stats().waiting == 1);
}
