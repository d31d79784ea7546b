// SqliteQueue on a real file: storing, leasing and settling, one caller at a time.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "queue/sqlite_queue.hpp"
#include "unit/queue/queue_test_support.hpp"

using namespace std::chrono_literals;
using flowgate::queue::DeadLetter;
using flowgate::queue::DeadLetterQuery;
using flowgate::queue::NewWorkItem;
using flowgate::queue::Outcome;
using flowgate::queue::QueueUnavailable;
using flowgate::queue::SqliteQueue;
using flowgate::queue::WorkItem;
using flowgate::test::item;
using flowgate::test::outcome;
using flowgate::test::QueueTempDir;
using flowgate::test::takeAll;

TEST_CASE("enqueue then take returns the item with its fields", "[queue]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    queue.enqueue({NewWorkItem{"flow-a", "exec-1", "step-9", R"({"body":"hi\u0000"})"}});

    auto stats = queue.stats();
    CHECK(stats.ready == 1);
    CHECK(stats.leased == 0);

    const auto items = queue.take(10, 30s, 0ms);
    REQUIRE(items.size() == 1);
    const WorkItem& w = items[0];
    CHECK(w.id > 0);
    CHECK(w.leaseToken != 0);
    CHECK(w.flowId == "flow-a");
    CHECK(w.executionId == "exec-1");
    CHECK(w.stepId == "step-9");
    CHECK(w.message == R"({"body":"hi\u0000"})");
    CHECK(w.failedAttempts == 0);

    stats = queue.stats();
    CHECK(stats.ready == 0);
    CHECK(stats.leased == 1);
    CHECK(stats.commits >= 2);
    CHECK(stats.committedOps >= 2);
}

TEST_CASE("messages are stored byte for byte including embedded NULs", "[queue]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    const std::string binary("a\0b\xff\x01z", 6);
    queue.enqueue({item(binary), item("")});
    const auto items = takeAll(queue);
    REQUIRE(items.size() == 2);
    CHECK(items[0].message == binary);
    CHECK(items[1].message.empty());
}

TEST_CASE("take hands out items oldest first and at most max", "[queue]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    queue.enqueue({item("1"), item("2"), item("3")});
    queue.enqueue({item("4")});

    const auto first = queue.take(2, 30s, 0ms);
    REQUIRE(first.size() == 2);
    CHECK(first[0].message == "1");
    CHECK(first[1].message == "2");
    const auto rest = takeAll(queue);
    REQUIRE(rest.size() == 2);
    CHECK(rest[0].message == "3");
    CHECK(rest[1].message == "4");
    CHECK(queue.take(0, 30s, 0ms).empty());
}

TEST_CASE("items survive closing and reopening the database", "[queue]") {
    QueueTempDir dir;
    {
        SqliteQueue queue(dir.options());
        queue.enqueue({item("kept-1"), item("kept-2")});
    }
    CHECK(std::filesystem::exists(dir.path() / "queue.db"));
    SqliteQueue queue(dir.options());
    CHECK(queue.stats().ready == 2);
    const auto items = takeAll(queue);
    REQUIRE(items.size() == 2);
    CHECK(items[0].message == "kept-1");
    CHECK(items[1].message == "kept-2");
}

TEST_CASE("a leased item is handed out again only after its lease ends", "[queue]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    queue.enqueue({item("leased")});

    const auto first = queue.take(1, 300ms, 0ms);
    REQUIRE(first.size() == 1);
    CHECK(queue.take(1, 300ms, 0ms).empty());
    CHECK(queue.stats().leased == 1);

    // Waiting for it wakes when the lease runs out, not at the end of the wait.
    const auto start = std::chrono::steady_clock::now();
    const auto second = queue.take(1, 30s, 5s);
    const auto waited = std::chrono::steady_clock::now() - start;
    REQUIRE(second.size() == 1);
    CHECK(waited < 3s);
    CHECK(second[0].id == first[0].id);
    CHECK(second[0].leaseToken != first[0].leaseToken);
    CHECK(second[0].failedAttempts == 1);  // the lost lease was an attempt (a hang)

    // The first holder lost the lease: its outcome and its next items are ignored.
    Outcome stale = outcome(first[0], Outcome::Kind::completed);
    stale.next = {item("from-stale-holder")};
    queue.settle({stale});
    auto stats = queue.stats();
    CHECK(stats.leased == 1);
    CHECK(stats.ready == 0);

    queue.settle({outcome(second[0], Outcome::Kind::completed)});
    stats = queue.stats();
    CHECK(stats.leased == 0);
    CHECK(stats.ready == 0);
}

TEST_CASE("an item whose lease ran out gets back in line at the lease's end", "[queue]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    queue.enqueue({item("slow")});
    const auto slow = queue.take(1, 200ms, 0ms);
    REQUIRE(slow.size() == 1);
    queue.enqueue({item("before-the-end")});  // ready before the lease ends
    std::this_thread::sleep_for(300ms);
    queue.enqueue({item("after-the-end")});

    const auto taken = takeAll(queue);
    REQUIRE(taken.size() == 3);
    CHECK(taken[0].message == "before-the-end");
    CHECK(taken[1].message == "slow");
    CHECK(taken[1].failedAttempts == 1);
    CHECK(taken[2].message == "after-the-end");
    CHECK(queue.stats().leased == 3);

    // Only the current holder settles; the one that ran out changes nothing.
    queue.settle({outcome(slow[0], Outcome::Kind::completed)});
    CHECK(queue.stats().leased == 3);
    std::vector<Outcome> done;
    for (const auto& t : taken) done.push_back(outcome(t, Outcome::Kind::completed));
    queue.settle(std::move(done));
    const auto stats = queue.stats();
    CHECK(stats.leased == 0);
    CHECK(stats.ready == 0);
}

TEST_CASE("an item of a paused flow whose lease ran out waits for the resume", "[queue]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    queue.enqueue({NewWorkItem{"held", "e-held", "s1", "held"}});
    const auto first = queue.take(1, 100ms, 0ms);
    REQUIRE(first.size() == 1);
    queue.setPaused("held", true);
    std::this_thread::sleep_for(200ms);
    CHECK(takeAll(queue).empty());
    CHECK(queue.stats().leased == 0);  // its lease is over, it is not handed out

    queue.setPaused("held", false);
    const auto again = takeAll(queue);
    REQUIRE(again.size() == 1);
    CHECK(again[0].id == first[0].id);
    CHECK(again[0].failedAttempts == 1);
    queue.settle({outcome(again[0], Outcome::Kind::completed)});
    CHECK(queue.stats().ready + queue.stats().leased == 0);
}

TEST_CASE("reopening clears the leases of the previous owner", "[queue]") {
    QueueTempDir dir;
    WorkItem before;
    {
        SqliteQueue queue(dir.options());
        queue.enqueue({item("in-flight")});
        const auto items = queue.take(1, 1h, 0ms);
        REQUIRE(items.size() == 1);
        before = items[0];
    }
    SqliteQueue queue(dir.options());
    CHECK(queue.stats().ready == 1);
    const auto items = queue.take(1, 30s, 0ms);
    REQUIRE(items.size() == 1);
    CHECK(items[0].id == before.id);
    CHECK(items[0].leaseToken != before.leaseToken);
    // The attempt was counted when it was taken: a crash used it up.
    CHECK(items[0].failedAttempts == 1);

    // The old token means nothing any more.
    queue.settle({outcome(before, Outcome::Kind::completed)});
    CHECK(queue.stats().leased == 1);
}

TEST_CASE("another process holds the lock until it dies and its leases are cleared", "[queue]") {
    QueueTempDir dir;
    int ready[2];
    int proceed[2];
    REQUIRE(::pipe(ready) == 0);
    REQUIRE(::pipe(proceed) == 0);
    // Catch2 runs one test at a time and earlier tests joined their threads, so no other
    // thread holds a lock the child needs (glibc makes malloc itself fork-safe).
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        int status = 1;
        try {
            auto* queue = new SqliteQueue(dir.options());  // never destroyed: a crash
            queue->enqueue({item("crash-1"), item("crash-2")});
            status = queue->take(1, 1h, 0ms).size() == 1 ? 0 : 2;
        } catch (...) {
            status = 3;
        }
        char c = status == 0 ? 'R' : 'F';
        [[maybe_unused]] auto w = ::write(ready[1], &c, 1);
        [[maybe_unused]] auto r = ::read(proceed[0], &c, 1);
        ::_exit(status);  // no destructors, no checkpoint, no unlock: the kernel drops the lock
    }
    char c = 0;
    REQUIRE(::read(ready[0], &c, 1) == 1);
    CHECK(c == 'R');
    try {
        SqliteQueue second(dir.options());
        FAIL("opened a queue another process holds");
    } catch (const std::runtime_error& e) {
        const std::string what = e.what();
        CHECK(what.find("in use") != std::string::npos);
        CHECK(what.find("pid " + std::to_string(child)) != std::string::npos);
    }
    c = 'X';
    REQUIRE(::write(proceed[1], &c, 1) == 1);
    int status = -1;
    REQUIRE(::waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    for (int fd : {ready[0], ready[1], proceed[0], proceed[1]}) {
        ::close(fd);
    }

    SqliteQueue queue(dir.options());
    const auto stats = queue.stats();
    CHECK(stats.ready == 2);
    CHECK(stats.leased == 0);
    const auto items = takeAll(queue);
    REQUIRE(items.size() == 2);
    CHECK(items[0].message == "crash-1");
    CHECK(items[1].message == "crash-2");
}

TEST_CASE("completed removes the item and stores its next items", "[queue]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    queue.enqueue({item("start")});
    const auto leased = takeAll(queue);
    REQUIRE(leased.size() == 1);

    Outcome done = outcome(leased[0], Outcome::Kind::completed);
    done.next = {NewWorkItem{"flow-a", "exec-start", "step-2", "out-1"},
                 NewWorkItem{"flow-a", "exec-start", "step-3", "out-2"}};
    queue.settle({done});

    auto stats = queue.stats();
    CHECK(stats.ready == 2);
    CHECK(stats.leased == 0);
    const auto next = takeAll(queue);
    REQUIRE(next.size() == 2);
    CHECK(next[0].stepId == "step-2");
    CHECK(next[0].message == "out-1");
    CHECK(next[1].stepId == "step-3");
    CHECK(next[1].executionId == "exec-start");
    CHECK(next[0].id != leased[0].id);
    CHECK(next[1].id != leased[0].id);

    // Settling the same lease twice does nothing the second time.
    queue.settle({done});
    CHECK(queue.stats().leased == 2);
}

TEST_CASE("one settle call applies several outcomes together", "[queue]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    queue.enqueue({item("a"), item("b"), item("c")});
    const auto leased = takeAll(queue);
    REQUIRE(leased.size() == 3);

    Outcome retry = outcome(leased[1], Outcome::Kind::retry);
    retry.failed = true;
    retry.error = "flaky";
    Outcome dead = outcome(leased[2], Outcome::Kind::deadLetter);
    dead.error = "bad input";
    queue.settle({outcome(leased[0], Outcome::Kind::completed), retry, dead});

    const auto stats = queue.stats();
    CHECK(stats.ready == 1);
    CHECK(stats.leased == 0);
    CHECK(stats.deadLetters == 1);
    const auto again = takeAll(queue);
    REQUIRE(again.size() == 1);
    CHECK(again[0].message == "b");
    CHECK(again[0].failedAttempts == 1);
}

TEST_CASE("settleAndTake settles a batch and leases the next in one commit", "[queue]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    queue.enqueue({item("a"), item("b"), item("c")});
    const auto first = queue.take(1, 30s, 0ms);
    REQUIRE(first.size() == 1);

    Outcome done = outcome(first[0], Outcome::Kind::completed);
    done.next = {NewWorkItem{"flow-a", "exec-a", "step-2", "a-out"}};
    const auto commitsBefore = queue.stats().commits;
    const auto next = queue.settleAndTake({done}, 10, 30s);
    CHECK(queue.stats().commits == commitsBefore + 1);
    // The take comes after the outcomes: it sees the item they stored, last in line.
    REQUIRE(next.size() == 3);
    CHECK(next[0].message == "b");
    CHECK(next[1].message == "c");
    CHECK(next[2].message == "a-out");
    CHECK(next[2].stepId == "step-2");
    auto stats = queue.stats();
    CHECK(stats.ready == 0);
    CHECK(stats.leased == 3);

    // Nothing ready: it returns empty (it does not wait), the outcomes applied.
    std::vector<Outcome> finished;
    for (const auto& leased : next) finished.push_back(outcome(leased, Outcome::Kind::completed));
    CHECK(queue.settleAndTake(finished, 10, 30s).empty());
    CHECK(queue.stats().leased == 0);

    // After close() it still settles, and takes nothing.
    queue.enqueue({item("d"), item("e")});
    const auto last = queue.take(1, 30s, 0ms);
    REQUIRE(last.size() == 1);
    queue.close();
    CHECK(queue.settleAndTake({outcome(last[0], Outcome::Kind::completed)}, 10, 30s).empty());
    stats = queue.stats();
    CHECK(stats.leased == 0);
    CHECK(stats.ready == 1);
}

TEST_CASE("retry counts failed attempts and respects its delay", "[queue]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    queue.enqueue({item("flaky")});
    auto leased = takeAll(queue);
    REQUIRE(leased.size() == 1);

    Outcome retry = outcome(leased[0], Outcome::Kind::retry);
    retry.failed = true;
    retry.delay = 300ms;
    retry.error = "timeout";
    const auto settledAt = std::chrono::steady_clock::now();
    queue.settle({retry});

    CHECK(queue.stats().ready == 1);  // waiting to retry counts as ready
    CHECK(queue.take(1, 30s, 0ms).empty());
    leased = queue.take(1, 30s, 5s);  // wakes when the delay is over
    const auto waited = std::chrono::steady_clock::now() - settledAt;
    REQUIRE(leased.size() == 1);
    CHECK(waited >= 290ms);
    CHECK(waited < 3s);
    CHECK(leased[0].failedAttempts == 1);

    // Not failed (e.g. a rate limit said "later"): no attempt counted.
    Outcome later = outcome(leased[0], Outcome::Kind::retry);
    later.failed = false;
    queue.settle({later});
    leased = takeAll(queue);
    REQUIRE(leased.size() == 1);
    CHECK(leased[0].failedAttempts == 1);
}

TEST_CASE("deadLetter moves the item to the dead letters with its error", "[queue]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    queue.enqueue({NewWorkItem{"flow-d", "exec-d", "step-d", "payload-1"}});
    queue.enqueue({NewWorkItem{"flow-d", "exec-e", "step-e", "payload-2"}});
    auto leased = takeAll(queue);
    REQUIRE(leased.size() == 2);

    // First a failed retry that leaves a last error behind.
    Outcome retry = outcome(leased[0], Outcome::Kind::retry);
    retry.failed = true;
    retry.error = "first failure";
    queue.settle({retry});
    const auto again = takeAll(queue);
    REQUIRE(again.size() == 1);

    const auto beforeMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
    Outcome dead = outcome(again[0], Outcome::Kind::deadLetter);
    dead.failed = true;
    dead.error = "gave up";
    queue.settle({dead});
    // Without an error of its own, the dead letter keeps the last one (none here).
    queue.settle({outcome(leased[1], Outcome::Kind::deadLetter)});

    const auto stats = queue.stats();
    CHECK(stats.ready == 0);
    CHECK(stats.leased == 0);
    CHECK(stats.deadLetters == 2);

    // Read as the admin API reads them: newest first, each under its dead-letter row's id.
    DeadLetterQuery all;
    all.limit = 10;
    const auto letters = queue.deadLetterPage(all).items;
    REQUIRE(letters.size() == 2);
    const DeadLetter& newest = letters[0];
    CHECK(newest.executionId == "exec-e");
    CHECK(newest.stepId == "step-e");
    CHECK(newest.message == "payload-2");
    CHECK(newest.error.empty());
    CHECK(newest.attempts == 1);  // the attempt that gave up counts
    const DeadLetter& older = letters[1];
    CHECK(older.id < newest.id);
    CHECK(older.flowId == "flow-d");
    CHECK(older.executionId == "exec-d");
    CHECK(older.stepId == "step-d");
    CHECK(older.message == "payload-1");
    CHECK(older.error == "gave up");
    CHECK(older.attempts == 2);
    CHECK(older.failedAtMs >= beforeMs);
    DeadLetterQuery one;
    one.limit = 1;
    const auto firstPage = queue.deadLetterPage(one);
    REQUIRE(firstPage.items.size() == 1);
    CHECK(firstPage.items[0].executionId == "exec-e");
    REQUIRE(firstPage.nextBeforeId);
    one.beforeId = firstPage.nextBeforeId;
    const auto secondPage = queue.deadLetterPage(one);
    REQUIRE(secondPage.items.size() == 1);
    CHECK(secondPage.items[0].executionId == "exec-d");
    CHECK_FALSE(secondPage.nextBeforeId);

    // A dead letter is not handed out again, and a stale settle of it changes nothing.
    CHECK(takeAll(queue).empty());
    queue.settle({outcome(again[0], Outcome::Kind::deadLetter)});
    CHECK(queue.stats().deadLetters == 2);
}

TEST_CASE("release gives the lease back unchanged and ready after its delay", "[queue]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    queue.enqueue({item("released")});
    auto leased = takeAll(queue);
    REQUIRE(leased.size() == 1);

    queue.settle({outcome(leased[0], Outcome::Kind::release)});
    auto again = takeAll(queue);
    REQUIRE(again.size() == 1);
    CHECK(again[0].id == leased[0].id);
    CHECK(again[0].failedAttempts == 0);

    Outcome later = outcome(again[0], Outcome::Kind::release);
    later.delay = 10s;
    queue.settle({later});
    CHECK(takeAll(queue).empty());
    const auto stats = queue.stats();
    CHECK(stats.ready == 1);
    CHECK(stats.leased == 0);
}

TEST_CASE("a second queue on the same directory is refused", "[queue]") {
    QueueTempDir dir;
    {
        SqliteQueue first(dir.options());
        try {
            SqliteQueue second(dir.options());
            FAIL("the second queue opened");
        } catch (const std::runtime_error& e) {
            CHECK(std::string(e.what()).find("in use") != std::string::npos);
        }
        first.enqueue({item("still works")});
    }
    // Once the first is gone the directory is free again.
    SqliteQueue again(dir.options());
    CHECK(again.stats().ready == 1);
}

TEST_CASE("queue full refuses the enqueue and stores none of it", "[queue]") {
    QueueTempDir dir;
    auto options = dir.options();
    options.maxReady = 3;
    SqliteQueue queue(options);
    queue.enqueue({item("1"), item("2")});
    try {
        queue.enqueue({item("3"), item("4")});
        FAIL("enqueue past maxReady succeeded");
    } catch (const QueueUnavailable& e) {
        CHECK(std::string(e.what()).find("queue full") != std::string::npos);
    }
    CHECK(queue.stats().ready == 2);
    queue.enqueue({item("3")});
    CHECK_THROWS_AS(queue.enqueue({item("4")}), QueueUnavailable);

    // Finishing work makes room again.
    const auto leased = queue.take(1, 30s, 0ms);
    REQUIRE(leased.size() == 1);
    queue.settle({outcome(leased[0], Outcome::Kind::completed)});
    queue.enqueue({item("4")});
    CHECK(queue.stats().ready == 3);
}

TEST_CASE("a storage failure fails the whole call and stores nothing", "[queue]") {
    QueueTempDir dir;
    auto options = dir.options();
    options.maxDatabaseBytes = 128 * 1024;  // SQLite answers SQLITE_FULL past it
    SqliteQueue queue(options);
    queue.enqueue({item("small")});

    // About 400 KiB in one call: more than the file may hold.
    std::vector<NewWorkItem> big;
    for (int i = 0; i < 100; ++i) {
        big.push_back(item(std::string(4000, 'x') + std::to_string(i)));
    }
    try {
        queue.enqueue(big);
        FAIL("enqueue past maxDatabaseBytes succeeded");
    } catch (const QueueUnavailable& e) {
        CHECK(std::string(e.what()).find("full") != std::string::npos);
    }
    CHECK(queue.stats().ready == 1);

    // The queue goes on working after the failed transaction.
    queue.enqueue({item("after")});
    const auto items = takeAll(queue);
    REQUIRE(items.size() == 2);
    CHECK(items[0].message == "small");
    CHECK(items[1].message == "after");
}

TEST_CASE("invalid arguments are refused before anything is stored", "[queue]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    CHECK_THROWS_AS(queue.take(1, 0ms, 0ms), std::invalid_argument);
    Outcome release;
    release.kind = Outcome::Kind::release;
    release.next = {item("lost?")};
    CHECK_THROWS_AS(queue.settle({release}), std::invalid_argument);
    queue.enqueue({});
    queue.settle({});
    CHECK(queue.stats().ready == 0);
}

TEST_CASE("extreme delays and waits are accepted without overflow", "[queue]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    queue.enqueue({item("parked")});
    auto leased = queue.take(1, std::chrono::milliseconds::max(), 0ms);
    REQUIRE(leased.size() == 1);
    Outcome park = outcome(leased[0], Outcome::Kind::release);
    park.delay = std::chrono::milliseconds::max();
    queue.settle({park});

    // The parked item is due in the far future: the wait ends at its own deadline.
    const auto start = std::chrono::steady_clock::now();
    CHECK(queue.take(1, 30s, 100ms).empty());
    CHECK(std::chrono::steady_clock::now() - start < 2s);

    // "Wait forever" still ends on close().
    std::thread closer([&queue] {
        std::this_thread::sleep_for(100ms);
        queue.close();
    });
    CHECK(queue.take(1, 30s, std::chrono::milliseconds::max()).empty());
    closer.join();
    CHECK(queue.stats().ready == 1);
}

TEST_CASE("a take of many items leases each of them once", "[queue]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    std::vector<NewWorkItem> items;
    for (int i = 0; i < 70; ++i) items.push_back(item("m" + std::to_string(i)));
    queue.enqueue(items);

    const auto taken = queue.take(70, 30s, 0ms);
    REQUIRE(taken.size() == 70);
    CHECK(queue.take(70, 30s, 0ms).empty());
    auto stats = queue.stats();
    CHECK(stats.leased == 70);
    CHECK(stats.ready == 0);
    // Every row got the lease, its start and its attempt.
    const auto file = dir.path() / "queue.db";
    CHECK(flowgate::test::queryInt(file, "SELECT COUNT(*) FROM work_items WHERE lease_token "
                                         "IS NOT NULL AND leased_at_ms IS NOT NULL AND "
                                         "failed_attempts = 1") == 70);

    // Each item settles with the lease it was handed; the whole take is then done.
    std::vector<Outcome> done;
    for (const auto& w : taken) done.push_back(outcome(w, Outcome::Kind::completed));
    queue.settle(done);
    stats = queue.stats();
    CHECK(stats.leased == 0);
    CHECK(stats.ready == 0);
    CHECK(flowgate::test::queryInt(file, "SELECT COUNT(*) FROM work_items") == 0);
}
