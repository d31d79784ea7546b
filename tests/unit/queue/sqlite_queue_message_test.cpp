// Where SqliteQueue keeps an item's message: a first-step item shares its execution's input
// with the history (execution_messages) instead of storing it a second time, and every path
// that reads or replaces a message still sees the right one: take, dead letters, replay,
// parking and resuming, and history pruning while the item lives.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "queue/sqlite_queue.hpp"
#include "unit/queue/queue_test_support.hpp"

using namespace std::chrono_literals;
using flowgate::queue::NewWorkItem;
using flowgate::queue::Outcome;
using flowgate::queue::SqliteQueue;
using flowgate::queue::WorkItem;
using flowgate::test::outcome;
using flowgate::test::queryInt;
using flowgate::test::QueueTempDir;
using flowgate::test::takeAll;

namespace {

// Messages the queue stores for items alone (not shared with the history).
std::int64_t ownMessages(const QueueTempDir& dir) {
    return queryInt(dir.path() / "queue.db", "SELECT COUNT(*) FROM work_item_messages");
}

// A 1 KiB input, different per execution.
std::string input(const std::string& name) {
    return R"({"input":")" + name + std::string(1000, 'x') + R"("})";
}

NewWorkItem firstStep(const std::string& executionId) {
    return NewWorkItem{"flow-a", executionId, "s1", input(executionId)};
}

const WorkItem& find(const std::vector<WorkItem>& items, const std::string& executionId) {
    for (const auto& item : items)
        if (item.executionId == executionId) return item;
    FAIL("no item of " << executionId);
    return items.front();
}

}  // namespace

TEST_CASE("an execution's input is stored once and read back whole until its last step",
          "[queue][message]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    queue.enqueue({firstStep("e1")});
    CHECK(ownMessages(dir) == 0);
    CHECK(queue.stats().backlogBytes == static_cast<std::int64_t>(input("e1").size()));

    auto taken = takeAll(queue);
    REQUIRE(taken.size() == 1);
    CHECK(taken[0].message == input("e1"));
    auto done = outcome(taken[0], Outcome::Kind::completed);
    done.next = {NewWorkItem{"flow-a", "e1", "s2", "shaped"}};
    queue.settle({done});
    CHECK(ownMessages(dir) == 1);  // a step's output is the item's alone
    CHECK(queue.stats().backlogBytes == 6);

    taken = takeAll(queue);
    REQUIRE(taken.size() == 1);
    CHECK(taken[0].message == "shaped");
    queue.settle({outcome(taken[0], Outcome::Kind::completed)});
    CHECK(ownMessages(dir) == 0);
    CHECK(queue.stats().backlogBytes == 0);
    const auto detail = queue.execution("e1");
    REQUIRE(detail);
    CHECK(detail->execution.status == "succeeded");
    CHECK(detail->execution.message == input("e1"));  // the history keeps its copy
    CHECK(detail->attempts.size() == 2);
}

TEST_CASE("items keep a message of their own when the history does not hold it whole",
          "[queue][message]") {
    QueueTempDir dir;
    auto options = dir.options();
    SECTION("history off") {
        options.history.enabled = false;
        SqliteQueue queue(options);
        queue.enqueue({firstStep("e1")});
        CHECK(ownMessages(dir) == 1);
        CHECK(queue.hasPending("e1"));
        const auto taken = takeAll(queue);
        REQUIRE(taken.size() == 1);
        CHECK(taken[0].message == input("e1"));
        queue.settle({outcome(taken[0], Outcome::Kind::completed)});
        CHECK(ownMessages(dir) == 0);
        CHECK(queue.stats().backlogBytes == 0);
        CHECK_FALSE(queue.hasPending("e1"));
    }
    SECTION("a message over the history's cap") {
        options.history.maxMessageBytes = 100;
        SqliteQueue queue(options);
        queue.enqueue({firstStep("e1")});
        CHECK(ownMessages(dir) == 1);
        CHECK(queue.execution("e1")->execution.message.find("truncated") != std::string::npos);
        const auto taken = takeAll(queue);
        REQUIRE(taken.size() == 1);
        CHECK(taken[0].message == input("e1"));
        queue.settle({outcome(taken[0], Outcome::Kind::completed)});
        CHECK(ownMessages(dir) == 0);
        CHECK(queue.execution("e1")->execution.status == "succeeded");
    }
    SECTION("a second item of one execution") {
        SqliteQueue queue(options);
        queue.enqueue({firstStep("e1"), NewWorkItem{"flow-a", "e1", "s1", "other"}});
        CHECK(ownMessages(dir) == 1);
        const auto taken = takeAll(queue);
        REQUIRE(taken.size() == 2);
        CHECK(taken[0].message == input("e1"));
        CHECK(taken[1].message == "other");
        queue.settle({outcome(taken[0], Outcome::Kind::completed),
                      outcome(taken[1], Outcome::Kind::completed)});
        CHECK(ownMessages(dir) == 0);
        CHECK(queue.stats().backlogBytes == 0);
        CHECK(queue.execution("e1")->execution.status == "succeeded");
    }
}

TEST_CASE("retrying, releasing, parking and resuming a shared item keep the right message",
          "[queue][message][wait]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    queue.enqueue({firstStep("e1")});
    auto taken = takeAll(queue);
    auto failed = outcome(taken[0], Outcome::Kind::retry);
    failed.failed = true;
    queue.settle({failed});
    taken = takeAll(queue);
    REQUIRE(taken.size() == 1);
    CHECK(taken[0].message == input("e1"));
    queue.settle({outcome(taken[0], Outcome::Kind::release)});
    taken = takeAll(queue);
    REQUIRE(taken.size() == 1);
    CHECK(taken[0].message == input("e1"));
    CHECK(ownMessages(dir) == 0);

    auto park = outcome(taken[0], Outcome::Kind::wait);
    park.delay = 1h;
    park.waitToken = "tok";
    park.message = "parked";
    queue.settle({park});
    CHECK(ownMessages(dir) == 1);
    CHECK(queue.stats().backlogBytes == 6);
    const auto waiting = queue.waiting("e1");
    REQUIRE(waiting.size() == 1);
    CHECK(waiting[0].message == "parked");

    REQUIRE(queue.resume(taken[0].id, "tok", "resumed!"));
    CHECK(queue.stats().backlogBytes == 8);
    taken = takeAll(queue);
    REQUIRE(taken.size() == 1);
    CHECK(taken[0].message == "resumed!");
    queue.settle({outcome(taken[0], Outcome::Kind::completed)});
    CHECK(ownMessages(dir) == 0);
    CHECK(queue.stats().backlogBytes == 0);
    CHECK(queue.execution("e1")->execution.message == input("e1"));
    CHECK(queue.execution("e1")->execution.status == "succeeded");
}

TEST_CASE("pruning the history leaves live items and dead letters their messages",
          "[queue][message][history]") {
    QueueTempDir dir;
    auto options = dir.options();
    options.history.maxExecutions = 1;
    SqliteQueue queue(options);
    CHECK(takeAll(queue).empty());  // the first batch prunes; the next prune is 1 s later
    // e1 stays ready, e2 is leased, e3 dies: all three executions are pruned below.
    queue.enqueue({firstStep("e1"), firstStep("e2"), firstStep("e3")});
    auto taken = takeAll(queue);
    REQUIRE(taken.size() == 3);
    queue.settle({outcome(taken[0], Outcome::Kind::release),
                  outcome(taken[2], Outcome::Kind::deadLetter)});
    const WorkItem leased = taken[1];
    REQUIRE(leased.executionId == "e2");

    std::this_thread::sleep_for(1100ms);  // prunes ride on a batch at most once a second
    queue.enqueue({firstStep("e4")});     // e1..e3 are past the limit now
    CHECK_FALSE(queue.execution("e1"));
    CHECK_FALSE(queue.execution("e2"));
    CHECK_FALSE(queue.execution("e3"));
    CHECK(ownMessages(dir) == 2);  // e1 and e2 got copies; e4 shares the history's
    CHECK(queue.hasPending("e1"));  // found by id once their execution's seq is gone
    CHECK(queue.hasPending("e2"));
    CHECK(queue.hasPending("e4"));
    const std::int64_t stored = static_cast<std::int64_t>(3 * input("e1").size());
    CHECK(queue.stats().backlogBytes == stored);

    // The pruned executions' items run to the end; their outcomes touch no other history.
    queue.settle({outcome(leased, Outcome::Kind::completed)});
    taken = takeAll(queue);
    REQUIRE(taken.size() == 2);
    CHECK(find(taken, "e1").message == input("e1"));
    CHECK(find(taken, "e4").message == input("e4"));
    const auto dead = queue.deadLetterPage({});
    REQUIRE(dead.items.size() == 1);
    CHECK(dead.items[0].message == input("e3"));
    REQUIRE(queue.replayDeadLetter(dead.items[0].id) == std::string("e3"));
    const auto replayed = takeAll(queue);
    REQUIRE(replayed.size() == 1);
    CHECK(replayed[0].message == input("e3"));

    queue.settle({outcome(find(taken, "e1"), Outcome::Kind::completed),
                  outcome(replayed[0], Outcome::Kind::completed)});
    auto e4 = queue.execution("e4");
    REQUIRE(e4);
    CHECK(e4->execution.status == "running");
    CHECK(e4->attempts.empty());
    queue.settle({outcome(find(taken, "e4"), Outcome::Kind::completed)});
    e4 = queue.execution("e4");
    CHECK(e4->execution.status == "succeeded");
    CHECK(e4->attempts.size() == 1);
    CHECK(ownMessages(dir) == 0);
    CHECK(queue.stats().backlogBytes == 0);
    for (const char* id : {"e1", "e2", "e3", "e4"}) CHECK_FALSE(queue.hasPending(id));
}

TEST_CASE("shared messages survive a reopen and count in the backlog again",
          "[queue][message][backlog]") {
    QueueTempDir dir;
    {
        SqliteQueue queue(dir.options());
        queue.enqueue({firstStep("e1"), firstStep("e2")});
        auto taken = takeAll(queue);
        REQUIRE(taken.size() == 2);
        queue.settle({outcome(taken[0], Outcome::Kind::completed)});
    }
    SqliteQueue queue(dir.options());
    CHECK(queue.stats().backlogBytes == static_cast<std::int64_t>(input("e2").size()));
    const auto taken = takeAll(queue);
    REQUIRE(taken.size() == 1);
    CHECK(taken[0].message == input("e2"));
    queue.settle({outcome(taken[0], Outcome::Kind::completed)});
    CHECK(queue.stats().backlogBytes == 0);
    CHECK(queue.execution("e2")->execution.status == "succeeded");
}
