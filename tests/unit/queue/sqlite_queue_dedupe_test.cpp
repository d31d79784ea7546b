// SqliteQueue de-duplication (enqueueOnce) and per-execution queries (hasPending).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "queue/sqlite_queue.hpp"
#include "unit/queue/queue_test_support.hpp"

using namespace std::chrono_literals;
using flowgate::queue::NewWorkItem;
using flowgate::queue::Outcome;
using flowgate::queue::QueueUnavailable;
using flowgate::queue::SqliteQueue;
using flowgate::queue::WorkItem;
using flowgate::test::outcome;
using flowgate::test::QueueTempDir;
using flowgate::test::takeAll;

namespace {

// The key as the Webhooks Service builds it: flow, header name, delivery id.
std::string deliveryKey(const std::string& flow, const std::string& id) {
    return flow + "\nX-Delivery-Id\n" + id;
}

std::vector<NewWorkItem> firstStep(const std::string& executionId,
                                   const std::string& message = "body") {
    return {NewWorkItem{"flow-a", executionId, "step-1", message}};
}

}  // namespace

TEST_CASE("enqueueOnce stores a first delivery and answers a repeat with its execution",
          "[queue]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    const auto key = deliveryKey("flow-a", "d-1");

    CHECK_FALSE(queue.enqueueOnce(key, 1h, "exec-1", firstStep("exec-1", "first")));
    auto stats = queue.stats();
    CHECK(stats.ready == 1);
    CHECK(stats.dedupeKeys == 1);
    CHECK(queue.hasPending("exec-1"));

    const auto repeat = queue.enqueueOnce(key, 1h, "exec-2", firstStep("exec-2", "second"));
    REQUIRE(repeat.has_value());
    CHECK(*repeat == "exec-1");
    stats = queue.stats();
    CHECK(stats.ready == 1);
    CHECK(stats.leased == 0);
    CHECK(stats.dedupeKeys == 1);
    CHECK_FALSE(queue.hasPending("exec-2"));

    const auto items = takeAll(queue);
    REQUIRE(items.size() == 1);
    CHECK(items[0].executionId == "exec-1");
    CHECK(items[0].message == "first");

    // Still a repeat once the first execution has finished: the key outlives its items.
    queue.settle({outcome(items[0], Outcome::Kind::completed)});
    CHECK(queue.enqueueOnce(key, 1h, "exec-3", firstStep("exec-3")) == "exec-1");
    CHECK(queue.stats().ready == 0);
}

TEST_CASE("enqueueOnce forgets a key once its window has passed", "[queue]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    const auto key = deliveryKey("flow-a", "d-window");

    CHECK_FALSE(queue.enqueueOnce(key, 300ms, "exec-1", firstStep("exec-1")));
    CHECK(queue.enqueueOnce(key, 300ms, "exec-2", firstStep("exec-2")) == "exec-1");
    std::this_thread::sleep_for(400ms);

    // The expired row is replaced: the new call stores and starts a window of its own.
    CHECK_FALSE(queue.enqueueOnce(key, 1h, "exec-3", firstStep("exec-3")));
    CHECK(queue.enqueueOnce(key, 1h, "exec-4", firstStep("exec-4")) == "exec-3");
    const auto stats = queue.stats();
    CHECK(stats.ready == 2);
    CHECK(stats.dedupeKeys == 1);
    const auto items = takeAll(queue);
    REQUIRE(items.size() == 2);
    CHECK(items[0].executionId == "exec-1");
    CHECK(items[1].executionId == "exec-3");
}

TEST_CASE("enqueueOnce keys survive closing and reopening the database", "[queue]") {
    QueueTempDir dir;
    const auto key = deliveryKey("flow-a", "d-restart");
    {
        SqliteQueue queue(dir.options());
        CHECK_FALSE(queue.enqueueOnce(key, 1h, "exec-1", firstStep("exec-1")));
    }
    SqliteQueue queue(dir.options());
    auto stats = queue.stats();
    CHECK(stats.ready == 1);
    CHECK(stats.dedupeKeys == 1);
    CHECK(queue.hasPending("exec-1"));

    CHECK(queue.enqueueOnce(key, 1h, "exec-2", firstStep("exec-2")) == "exec-1");
    stats = queue.stats();
    CHECK(stats.ready == 1);
    CHECK(stats.dedupeKeys == 1);
}

TEST_CASE("concurrent deliveries with one key store exactly once", "[queue]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    const auto key = deliveryKey("flow-a", "d-race");
    constexpr int kThreads = 16;

    std::atomic<int> arrived{0};
    std::vector<std::optional<std::string>> answers(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            // All start together, so most calls meet in one batch or in adjacent ones.
            ++arrived;
            while (arrived < kThreads) {
                std::this_thread::yield();
            }
            const auto id = "exec-" + std::to_string(t);
            answers[t] = queue.enqueueOnce(key, 1h, id, firstStep(id));
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }

    int stored = 0;
    std::string winner;
    for (int t = 0; t < kThreads; ++t) {
        if (!answers[t]) {
            ++stored;
            winner = "exec-" + std::to_string(t);
        }
    }
    REQUIRE(stored == 1);
    for (const auto& answer : answers) {
        if (answer) {
            CHECK(*answer == winner);
        }
    }
    const auto stats = queue.stats();
    CHECK(stats.ready == 1);
    CHECK(stats.dedupeKeys == 1);
    const auto items = takeAll(queue);
    REQUIRE(items.size() == 1);
    CHECK(items[0].executionId == winner);
}

TEST_CASE("enqueueOnce keys are independent of each other", "[queue]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    // Same delivery id on another flow, another id on the same flow, and a key that is a
    // prefix of another: all different deliveries.
    CHECK_FALSE(queue.enqueueOnce(deliveryKey("flow-a", "1"), 1h, "exec-1", firstStep("exec-1")));
    CHECK_FALSE(queue.enqueueOnce(deliveryKey("flow-b", "1"), 1h, "exec-2", firstStep("exec-2")));
    CHECK_FALSE(queue.enqueueOnce(deliveryKey("flow-a", "2"), 1h, "exec-3", firstStep("exec-3")));
    CHECK_FALSE(queue.enqueueOnce(deliveryKey("flow-a", "22"), 1h, "exec-4", firstStep("exec-4")));
    CHECK_FALSE(queue.enqueueOnce(std::string("k\0a", 3), 1h, "exec-5", firstStep("exec-5")));
    CHECK_FALSE(queue.enqueueOnce(std::string("k\0b", 3), 1h, "exec-6", firstStep("exec-6")));

    CHECK(queue.enqueueOnce(deliveryKey("flow-b", "1"), 1h, "exec-x", firstStep("exec-x")) ==
          "exec-2");
    CHECK(queue.enqueueOnce(std::string("k\0b", 3), 1h, "exec-x", firstStep("exec-x")) ==
          "exec-6");
    const auto stats = queue.stats();
    CHECK(stats.ready == 6);
    CHECK(stats.dedupeKeys == 6);
}

TEST_CASE("enqueueOnce with no items still remembers its key", "[queue]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    const auto key = deliveryKey("flow-empty", "d-1");
    CHECK_FALSE(queue.enqueueOnce(key, 1h, "exec-1", {}));
    CHECK(queue.enqueueOnce(key, 1h, "exec-2", firstStep("exec-2")) == "exec-1");
    const auto stats = queue.stats();
    CHECK(stats.ready == 0);
    CHECK(stats.dedupeKeys == 1);
    CHECK_FALSE(queue.hasPending("exec-1"));
}

TEST_CASE("a refused enqueueOnce does not remember its key", "[queue]") {
    QueueTempDir dir;
    auto options = dir.options();
    options.maxReady = 1;
    SqliteQueue queue(options);
    const auto key = deliveryKey("flow-a", "d-full");

    queue.enqueue(firstStep("exec-0"));
    try {
        queue.enqueueOnce(key, 1h, "exec-1", firstStep("exec-1"));
        FAIL("enqueueOnce past maxReady succeeded");
    } catch (const QueueUnavailable& e) {
        CHECK(std::string(e.what()).find("queue full") != std::string::npos);
    }
    auto stats = queue.stats();
    CHECK(stats.ready == 1);
    CHECK(stats.dedupeKeys == 0);

    // With room again the same delivery is new, and stored.
    const auto leased = takeAll(queue);
    REQUIRE(leased.size() == 1);
    queue.settle({outcome(leased[0], Outcome::Kind::completed)});
    CHECK_FALSE(queue.enqueueOnce(key, 1h, "exec-2", firstStep("exec-2")));
    CHECK(queue.stats().dedupeKeys == 1);

    // Full again: a repeat is refused like any enqueue, not answered, and changes nothing.
    CHECK_THROWS_AS(queue.enqueueOnce(key, 1h, "exec-3", firstStep("exec-3")), QueueUnavailable);
    stats = queue.stats();
    CHECK(stats.ready == 1);
    CHECK(stats.dedupeKeys == 1);
}

TEST_CASE("a storage failure in enqueueOnce stores neither items nor key", "[queue]") {
    QueueTempDir dir;
    auto options = dir.options();
    options.maxDatabaseBytes = 128 * 1024;  // SQLite answers SQLITE_FULL past it
    SqliteQueue queue(options);
    const auto key = deliveryKey("flow-a", "d-disk");

    std::vector<NewWorkItem> big;
    for (int i = 0; i < 100; ++i) {
        big.push_back(NewWorkItem{"flow-a", "exec-1", "step-1", std::string(4000, 'x')});
    }
    CHECK_THROWS_AS(queue.enqueueOnce(key, 1h, "exec-1", big), QueueUnavailable);
    CHECK(queue.stats().ready == 0);
    CHECK(queue.stats().dedupeKeys == 0);

    CHECK_FALSE(queue.enqueueOnce(key, 1h, "exec-2", firstStep("exec-2")));
    CHECK(queue.enqueueOnce(key, 1h, "exec-3", firstStep("exec-3")) == "exec-2");
    CHECK(queue.stats().ready == 1);
}

TEST_CASE("enqueueOnce refuses a window that is not positive", "[queue]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    CHECK_THROWS_AS(queue.enqueueOnce("k", 0ms, "exec-1", firstStep("exec-1")),
                    std::invalid_argument);
    CHECK_THROWS_AS(queue.enqueueOnce("k", -1s, "exec-1", firstStep("exec-1")),
                    std::invalid_argument);
    CHECK(queue.stats().ready == 0);
    CHECK(queue.stats().dedupeKeys == 0);
}

TEST_CASE("expired keys are purged a few hundred at a time", "[queue]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    constexpr int kThreads = 10;
    constexpr int kPerThread = 40;
    constexpr int kKeys = kThreads * kPerThread;
    const auto window = 2s;  // longer than storing the keys takes, so none expires early

    CHECK_FALSE(queue.enqueueOnce("long-lived", 1h, "exec-kept", {}));
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&queue, window, t] {
            for (int i = 0; i < kPerThread; ++i) {
                const auto id = std::to_string(t) + "-" + std::to_string(i);
                queue.enqueueOnce(deliveryKey("flow-p", id), window, "exec-" + id, {});
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    const auto storedAt = std::chrono::steady_clock::now();
    REQUIRE(queue.stats().dedupeKeys == kKeys + 1);

    // Nothing happens while the queue is idle; the writer purges alongside later work.
    std::this_thread::sleep_until(storedAt + window + 300ms);
    CHECK(queue.stats().dedupeKeys == kKeys + 1);
    queue.enqueue(firstStep("exec-trigger"));
    const auto afterOne = queue.stats().dedupeKeys;
    CHECK(afterOne < kKeys + 1);
    CHECK(afterOne > 1);  // one transaction deletes only a small batch

    // A purge that filled its batch goes on in the next one, until only live keys remain.
    int ops = 1;
    while (queue.stats().dedupeKeys > 1 && ops < 20) {
        queue.enqueue(firstStep("exec-trigger"));
        ++ops;
    }
    CHECK(queue.stats().dedupeKeys == 1);
    CHECK(queue.enqueueOnce("long-lived", 1h, "exec-other", {}) == "exec-kept");

    // An expired key that was purged is simply new again.
    CHECK_FALSE(queue.enqueueOnce(deliveryKey("flow-p", "0-0"), 1h, "exec-again", {}));
}

TEST_CASE("hasPending follows an execution's items until the last one is finished",
          "[queue]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    CHECK_FALSE(queue.hasPending("exec-x"));

    queue.enqueue({NewWorkItem{"flow-a", "exec-x", "step-1", "a"},
                   NewWorkItem{"flow-a", "exec-x", "step-1", "b"},
                   NewWorkItem{"flow-a", "exec-y", "step-1", "c"}});
    CHECK(queue.hasPending("exec-x"));
    CHECK(queue.hasPending("exec-y"));
    CHECK_FALSE(queue.hasPending("exec"));  // an exact match, not a prefix

    auto leased = takeAll(queue);
    REQUIRE(leased.size() == 3);
    CHECK(queue.hasPending("exec-x"));  // leased items count

    // One item waits to retry; the other completes with a next step of the same execution.
    Outcome retry = outcome(leased[0], Outcome::Kind::retry);
    retry.failed = true;
    retry.delay = 10s;
    Outcome done = outcome(leased[1], Outcome::Kind::completed);
    done.next = {NewWorkItem{"flow-a", "exec-x", "step-2", "a2"}};
    queue.settle({retry, done});
    CHECK(queue.hasPending("exec-x"));

    // The next step completes with nothing more: the retrying item still counts.
    auto next = takeAll(queue);
    REQUIRE(next.size() == 1);
    CHECK(next[0].stepId == "step-2");
    queue.settle({outcome(next[0], Outcome::Kind::completed)});
    CHECK(queue.hasPending("exec-x"));
    CHECK(queue.stats().ready == 1);

    // Waiting to retry: not takeable now, still pending.
    CHECK(queue.take(1, 30s, 0ms).empty());
    CHECK(queue.hasPending("exec-x"));

    // exec-y: dead-lettered, so nothing of it is pending any more.
    queue.settle({outcome(leased[2], Outcome::Kind::deadLetter)});
    CHECK_FALSE(queue.hasPending("exec-y"));
    CHECK(queue.stats().deadLetters == 1);
    CHECK(queue.hasPending("exec-x"));
}

TEST_CASE("hasPending turns false when the last item is completed or dead-lettered",
          "[queue]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    queue.enqueueOnce(deliveryKey("flow-a", "d-1"), 1h, "exec-1", firstStep("exec-1"));
    queue.enqueue(firstStep("exec-2"));
    CHECK(queue.hasPending("exec-1"));

    auto leased = takeAll(queue);
    REQUIRE(leased.size() == 2);
    Outcome again = outcome(leased[0], Outcome::Kind::retry);
    again.failed = true;
    queue.settle({again});
    CHECK(queue.hasPending("exec-1"));

    auto retried = takeAll(queue);
    REQUIRE(retried.size() == 1);
    CHECK(retried[0].executionId == "exec-1");
    queue.settle({outcome(retried[0], Outcome::Kind::completed)});
    CHECK_FALSE(queue.hasPending("exec-1"));

    CHECK(queue.hasPending("exec-2"));
    queue.settle({outcome(leased[1], Outcome::Kind::deadLetter)});
    CHECK_FALSE(queue.hasPending("exec-2"));
    CHECK(queue.stats().deadLetters == 1);
}
