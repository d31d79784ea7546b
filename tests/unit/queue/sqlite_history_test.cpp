// The execution history, pauses and dead-letter replay of SqliteQueue: recorded in the
// queue's own transactions, read through ExecutionHistory and QueueAdmin.
#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "queue/sqlite_queue.hpp"
#include "unit/queue/queue_test_support.hpp"

using namespace std::chrono_literals;
using flowgate::queue::DeadLetterQuery;
using flowgate::queue::ExecutionQuery;
using flowgate::queue::NewWorkItem;
using flowgate::queue::Outcome;
using flowgate::queue::QueueUnavailable;
using flowgate::queue::SqliteQueue;
using flowgate::test::outcome;
using flowgate::test::QueueTempDir;
using flowgate::test::takeAll;

namespace {

std::string statusOf(SqliteQueue& queue, const std::string& id) {
    const auto detail = queue.execution(id);
    return detail ? detail->execution.status : "(none)";
}

}  // namespace

TEST_CASE("history: an execution runs, and succeeds when its last item completes",
          "[queue][history]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    queue.enqueueOnce("flow-a\nx-delivery\nd-42", 60s, "e1",
                      {NewWorkItem{"flow-a", "e1", "s1", R"({"body":{"n":1}})"}});
    CHECK(statusOf(queue, "e1") == "running");
    CHECK(queue.execution("e1")->execution.deliveryId == "d-42");
    CHECK(queue.execution("e1")->execution.message == R"({"body":{"n":1}})");

    auto taken = takeAll(queue);
    REQUIRE(taken.size() == 1);
    auto done = outcome(taken[0], Outcome::Kind::completed);
    done.next = {NewWorkItem{"flow-a", "e1", "s2", "{}"}};
    queue.settle({done});
    CHECK(statusOf(queue, "e1") == "running");  // s2 is stored

    taken = takeAll(queue);
    REQUIRE(taken.size() == 1);
    queue.settle({outcome(taken[0], Outcome::Kind::completed)});
    const auto detail = queue.execution("e1");
    REQUIRE(detail);
    CHECK(detail->execution.status == "succeeded");
    REQUIRE(detail->attempts.size() == 2);
    CHECK(detail->attempts[0].stepId == "s1");
    CHECK(detail->attempts[0].attempt == 1);
    CHECK(detail->attempts[0].outcome == "completed");
    CHECK(detail->attempts[1].stepId == "s2");
    CHECK(detail->attempts[0].startedAtMs > 0);
}

TEST_CASE("history: steps chained after an item are attempts of their own steps",
          "[queue][history][chaining]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    queue.enqueue({NewWorkItem{"flow-a", "e1", "s1", "{}"}});
    auto taken = takeAll(queue);
    REQUIRE(taken.size() == 1);
    auto done = outcome(taken[0], Outcome::Kind::completed);
    done.chained = {{"s2", true, "", 1000, 2000}, {"s3", false, "upstream said 503", 1002, 3000}};
    queue.settle({done});
    const auto detail = queue.execution("e1");
    REQUIRE(detail);
    CHECK(detail->execution.status == "succeeded");
    REQUIRE(detail->attempts.size() == 3);
    CHECK(detail->attempts[0].stepId == "s1");
    CHECK(detail->attempts[1].stepId == "s2");
    CHECK(detail->attempts[1].outcome == "completed");
    CHECK(detail->attempts[1].attempt == 1);
    CHECK(detail->attempts[1].startedAtMs == 1000);
    CHECK(detail->attempts[1].durationMs == 2);
    CHECK(detail->attempts[1].error.empty());
    CHECK(detail->attempts[2].stepId == "s3");
    CHECK(detail->attempts[2].outcome == "failed");
    CHECK(detail->attempts[2].error == "upstream said 503");
}

TEST_CASE("history: a failed attempt, a dead letter, its replay and the success after it",
          "[queue][history]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    queue.enqueue({NewWorkItem{"flow-a", "e1", "s1", "m"}});

    auto taken = takeAll(queue);
    auto failed = outcome(taken[0], Outcome::Kind::retry);
    failed.failed = true;
    failed.error = "HTTP 503 from upstream";
    queue.settle({failed});
    CHECK(statusOf(queue, "e1") == "failed");

    taken = takeAll(queue);
    REQUIRE(taken.size() == 1);
    CHECK(taken[0].failedAttempts == 1);  // counted before this lease
    auto dead = outcome(taken[0], Outcome::Kind::deadLetter);
    dead.error = "gave up";
    queue.settle({dead});
    CHECK(statusOf(queue, "e1") == "dead");

    const auto page = queue.deadLetterPage({});
    REQUIRE(page.items.size() == 1);
    CHECK(page.items[0].executionId == "e1");
    CHECK(page.items[0].error == "gave up");
    CHECK_FALSE(queue.replayDeadLetter(page.items[0].id + 1000));

    CHECK(queue.replayDeadLetter(page.items[0].id) == std::optional<std::string>("e1"));
    CHECK(queue.stats().deadLetters == 0);
    CHECK(statusOf(queue, "e1") == "running");
    taken = takeAll(queue);
    REQUIRE(taken.size() == 1);
    CHECK(taken[0].stepId == "s1");
    CHECK(taken[0].message == "m");
    CHECK(taken[0].failedAttempts == 0);  // a fresh count: its first attempt again
    queue.settle({outcome(taken[0], Outcome::Kind::completed)});

    const auto detail = queue.execution("e1");
    REQUIRE(detail);
    CHECK(detail->execution.status == "succeeded");
    std::vector<std::string> outcomes;
    for (const auto& a : detail->attempts) outcomes.push_back(a.outcome);
    CHECK(outcomes == std::vector<std::string>{"failed", "dead", "replayed", "completed"});
    CHECK(detail->attempts[0].error == "HTTP 503 from upstream");
}

TEST_CASE("history: replay by filter and delete of dead letters", "[queue][history]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    for (const char* flow : {"flow-a", "flow-a", "flow-b"})
        queue.enqueue({NewWorkItem{flow, std::string(flow) + std::to_string(queue.stats().ready),
                                   "s1", "m"}});
    for (auto& leased : takeAll(queue)) queue.settle({outcome(leased, Outcome::Kind::deadLetter)});
    REQUIRE(queue.stats().deadLetters == 3);

    DeadLetterQuery onlyB;
    onlyB.flowId = "flow-b";
    const auto b = queue.deadLetterPage(onlyB);
    REQUIRE(b.items.size() == 1);
    CHECK(queue.deleteDeadLetter(b.items[0].id));
    CHECK_FALSE(queue.deleteDeadLetter(b.items[0].id));

    DeadLetterQuery onlyA;
    onlyA.flowId = "flow-a";
    CHECK(queue.replayDeadLetters(onlyA, 100) == 2);
    CHECK(queue.stats().deadLetters == 0);
    CHECK(takeAll(queue).size() == 2);
}

TEST_CASE("history: an operation that fails leaves no history behind (same transaction)",
          "[queue][history]") {
    QueueTempDir dir;
    auto options = dir.options();
    options.maxRowBytes = 10000;
    options.history.maxMessageBytes = 100;  // history stores a marker, the item is too big
    SqliteQueue queue(options);
    CHECK_THROWS_AS(queue.enqueue({NewWorkItem{"flow-a", "big", "s1", std::string(20000, 'x')}}),
                    QueueUnavailable);
    CHECK_FALSE(queue.execution("big"));
    queue.enqueue({NewWorkItem{"flow-a", "small", "s1", std::string(200, 'x')}});
    const auto small = queue.execution("small");
    REQUIRE(small);
    CHECK(small->execution.message == R"({"truncated":true,"bytes":200})");
}

TEST_CASE("history: pruned by count and by age in small batches", "[queue][history]") {
    QueueTempDir dir;
    auto options = dir.options();
    options.history.maxExecutions = 3;
    {
        SqliteQueue queue(options);
        for (int i = 0; i < 10; ++i)
            queue.enqueue({NewWorkItem{"flow-a", "e" + std::to_string(i), "s1", "m"}});
        std::this_thread::sleep_for(1100ms);  // prunes ride on a batch at most once a second
        queue.enqueue({NewWorkItem{"flow-a", "e10", "s1", "m"}});
        const auto page = queue.executions({});
        REQUIRE(page.items.size() == 3);
        CHECK(page.items[0].requestId == "e10");
        CHECK(page.items[2].requestId == "e8");
        CHECK_FALSE(queue.execution("e0"));
    }
    options.history.maxExecutions = 100;
    options.history.maxAge = 1ms;
    SqliteQueue queue(options);
    std::this_thread::sleep_for(20ms);
    queue.enqueue({NewWorkItem{"flow-a", "fresh", "s1", "m"}});  // the first batch prunes
    const auto page = queue.executions({});
    REQUIRE(page.items.size() == 1);
    CHECK(page.items[0].requestId == "fresh");
}

TEST_CASE("history: an item leased when pruning deletes its execution's message gets a copy, "
          "which its settle deletes",
          "[queue][history]") {
    QueueTempDir dir;
    auto options = dir.options();
    options.history.maxExecutions = 1;
    const auto file = dir.path() / "queue.db";
    SqliteQueue queue(options);
    queue.enqueue({NewWorkItem{"flow-a", "e0", "s1", "message 0"}});
    const auto taken = takeAll(queue);  // leased while it shares its execution's message
    REQUIRE(taken.size() == 1);
    queue.enqueue({NewWorkItem{"flow-a", "e1", "s1", "message 1"}});
    std::this_thread::sleep_for(1100ms);  // prunes ride on a batch at most once a second
    queue.enqueue({NewWorkItem{"flow-a", "e2", "s1", "message 2"}});
    REQUIRE_FALSE(queue.execution("e0"));
    CHECK(flowgate::test::queryInt(file, "SELECT COUNT(*) FROM work_item_messages") == 2);

    queue.settle({outcome(taken[0], Outcome::Kind::completed)});
    CHECK(flowgate::test::queryInt(file, "SELECT COUNT(*) FROM work_item_messages WHERE "
                                         "item_id NOT IN (SELECT id FROM work_items)") == 0);
    CHECK(queue.stats().backlogBytes == 2 * 9);
    auto rest = takeAll(queue);
    REQUIRE(rest.size() == 2);
    CHECK(rest[0].message == "message 1");
}

TEST_CASE("history: pages newest first with a cursor and filters", "[queue][history]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    for (int i = 0; i < 5; ++i)
        queue.enqueue({NewWorkItem{i % 2 ? "odd" : "even", "e" + std::to_string(i), "s1", "m"}});
    ExecutionQuery q;
    q.limit = 2;
    auto page = queue.executions(q);
    REQUIRE(page.items.size() == 2);
    CHECK(page.items[0].requestId == "e4");
    REQUIRE(page.nextBeforeSeq);
    q.beforeSeq = page.nextBeforeSeq;
    page = queue.executions(q);
    CHECK(page.items[0].requestId == "e2");
    q = {};
    q.flowId = "odd";
    page = queue.executions(q);
    REQUIRE(page.items.size() == 2);
    CHECK_FALSE(page.nextBeforeSeq);
    const auto activity = queue.flowActivity();
    CHECK(activity.at("even").received == 3);
    CHECK(activity.at("even").queueDepth == 3);
}

TEST_CASE("pause: take() leaves a paused flow's items, across a reopen, resume keeps order",
          "[queue][pause]") {
    QueueTempDir dir;
    {
        SqliteQueue queue(dir.options());
        queue.setPaused("held", true);
        for (int i = 0; i < 3; ++i)
            queue.enqueue({NewWorkItem{"held", "h" + std::to_string(i), "s1", std::to_string(i)}});
        queue.enqueue({NewWorkItem{"free", "f", "s1", "x"}});
        const auto taken = takeAll(queue);
        REQUIRE(taken.size() == 1);
        CHECK(taken[0].flowId == "free");
        queue.settle({outcome(taken[0], Outcome::Kind::completed)});
    }
    SqliteQueue queue(dir.options());
    CHECK(queue.pausedFlows() == std::set<std::string>{"held"});
    CHECK(takeAll(queue).empty());
    // A taker waiting when the flow is resumed is woken.
    std::thread resumer([&] {
        std::this_thread::sleep_for(100ms);
        queue.setPaused("held", false);
    });
    const auto first = queue.take(1, 30s, 5s);
    resumer.join();
    REQUIRE(first.size() == 1);
    CHECK(first[0].message == "0");
    const auto rest = takeAll(queue);
    REQUIRE(rest.size() == 2);
    CHECK(rest[0].message == "1");
    CHECK(rest[1].message == "2");
    CHECK(queue.pausedFlows().empty());
}

TEST_CASE("pause: items stored before it and a retry during it wait for the resume, in order",
          "[queue][pause]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    for (int i = 0; i < 3; ++i)
        queue.enqueue({NewWorkItem{"held", "h" + std::to_string(i), "s1", std::to_string(i)}});
    const auto leased = queue.take(1, 30s, 5s);
    REQUIRE(leased.size() == 1);
    queue.setPaused("held", true);
    // The line is kept in milliseconds (ties go by id): a retry settled in the same
    // millisecond as the last enqueue would rightly stay ahead of it.
    std::this_thread::sleep_for(2ms);
    // The leased item's retry comes due during the pause: it waits like the others.
    Outcome retry = outcome(leased[0], Outcome::Kind::retry);
    retry.failed = true;
    retry.error = "flaky";
    queue.settle({retry});
    queue.enqueue({NewWorkItem{"free", "f", "s1", "x"}});
    const auto during = takeAll(queue);
    REQUIRE(during.size() == 1);
    CHECK(during[0].flowId == "free");
    CHECK(queue.stats().ready == 3);

    queue.setPaused("held", false);
    const auto after = takeAll(queue);
    REQUIRE(after.size() == 3);
    // The retry went to the back of the line when it was settled, as without a pause.
    CHECK(after[0].message == "1");
    CHECK(after[1].message == "2");
    CHECK(after[2].message == "0");
    CHECK(after[2].failedAttempts == 1);
}

TEST_CASE("history: parked executions wait, lost leases are recorded, also across a reopen",
          "[queue][history]") {
    QueueTempDir dir;
    {
        SqliteQueue queue(dir.options());
        queue.enqueue({NewWorkItem{"flow-a", "park", "s1", "m"}});
        auto taken = takeAll(queue);
        auto wait = outcome(taken[0], Outcome::Kind::wait);
        wait.waitToken = "t";
        wait.message = "m2";
        wait.delay = 1h;
        queue.settle({wait});
        CHECK(statusOf(queue, "park") == "waiting");
        REQUIRE(queue.resume(taken[0].id, "t", "m3"));
        CHECK(statusOf(queue, "park") == "running");

        queue.enqueue({NewWorkItem{"flow-a", "slow", "s1", "m"}});
        // Both are leased now; "slow"'s lease runs out and it is taken again.
        taken = takeAll(queue, 50ms);
        REQUIRE(taken.size() == 2);
        std::this_thread::sleep_for(100ms);
        REQUIRE(takeAll(queue).size() == 2);
        const auto slow = queue.execution("slow");
        REQUIRE(slow);
        REQUIRE(slow->attempts.size() == 1);
        CHECK(slow->attempts[0].outcome == "lost");
        CHECK(slow->attempts[0].attempt == 1);
    }
    // Closed with both items leased: the next open records those attempts as lost.
    SqliteQueue queue(dir.options());
    const auto slow = queue.execution("slow");
    REQUIRE(slow);
    REQUIRE(slow->attempts.size() == 2);
    CHECK(slow->attempts[1].outcome == "lost");
    CHECK(slow->attempts[1].attempt == 2);
}

TEST_CASE("history: a dead execution stays dead while its other items finish",
          "[queue][history]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    queue.enqueue({NewWorkItem{"flow-a", "fan", "s1", "a"}, NewWorkItem{"flow-a", "fan", "s2", "b"}});
    auto taken = takeAll(queue);
    REQUIRE(taken.size() == 2);
    queue.settle({outcome(taken[0], Outcome::Kind::deadLetter)});
    CHECK(statusOf(queue, "fan") == "dead");
    queue.settle({outcome(taken[1], Outcome::Kind::completed)});
    CHECK(statusOf(queue, "fan") == "dead");
    const auto detail = queue.execution("fan");
    REQUIRE(detail);
    CHECK(detail->execution.message == "a");
    CHECK(detail->attempts.size() == 2);
    // The replay makes it run again, and its success shows.
    REQUIRE(queue.replayDeadLetters({}, 10) == 1);
    CHECK(statusOf(queue, "fan") == "running");
    taken = takeAll(queue);
    REQUIRE(taken.size() == 1);
    queue.settle({outcome(taken[0], Outcome::Kind::completed)});
    CHECK(statusOf(queue, "fan") == "succeeded");
}

TEST_CASE("history: a file with the first history layout gets the new one, its queue is kept",
          "[queue][history]") {
    QueueTempDir dir;
    {
        // The builds of that layout kept every message with its item, as history-off does.
        auto options = dir.options();
        options.history.enabled = false;
        SqliteQueue queue(options);
        queue.enqueue({NewWorkItem{"flow-a", "kept", "s1", "m"}});
    }
    {
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open((dir.path() / "queue.db").c_str(), &db) == SQLITE_OK);
        REQUIRE(sqlite3_exec(db,
                             "DROP TABLE executions; DROP TABLE execution_messages; "
                             "DROP TABLE execution_attempts;"
                             "CREATE TABLE executions (seq INTEGER PRIMARY KEY, request_id TEXT "
                             "NOT NULL UNIQUE, flow_id TEXT NOT NULL, status TEXT NOT NULL, "
                             "received_at_ms INTEGER NOT NULL, updated_at_ms INTEGER NOT NULL, "
                             "delivery_id TEXT, message TEXT);"
                             "CREATE INDEX executions_flow ON executions (flow_id, seq);"
                             "CREATE TABLE execution_attempts (seq INTEGER PRIMARY KEY, "
                             "request_id TEXT NOT NULL, step_id TEXT NOT NULL, attempt INTEGER "
                             "NOT NULL, started_at_ms INTEGER NOT NULL, duration_ms INTEGER NOT "
                             "NULL, outcome TEXT NOT NULL, error TEXT);"
                             "CREATE INDEX execution_attempts_request ON execution_attempts "
                             "(request_id);"
                             "INSERT INTO executions VALUES (1, 'old', 'flow-a', 'succeeded', 0, "
                             "0, NULL, 'x');",
                             nullptr, nullptr, nullptr) == SQLITE_OK);
        sqlite3_close(db);
    }
    SqliteQueue queue(dir.options());
    CHECK_FALSE(queue.execution("old"));  // history is rebuildable: the old one is gone
    auto taken = takeAll(queue);
    REQUIRE(taken.size() == 1);
    CHECK(taken[0].executionId == "kept");
    CHECK(taken[0].message == "m");
    queue.enqueue({NewWorkItem{"flow-a", "new", "s1", "m2"}});
    queue.settle({outcome(taken[0], Outcome::Kind::completed)});
    const auto fresh = queue.execution("new");
    REQUIRE(fresh);
    CHECK(fresh->execution.message == "m2");
    CHECK(statusOf(queue, "new") == "running");
}
