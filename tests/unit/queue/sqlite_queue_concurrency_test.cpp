// SqliteQueue under concurrent callers: group commit, blocking take(), close().
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
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
using flowgate::test::item;
using flowgate::test::QueueTempDir;
using flowgate::test::takeAll;

namespace {

using SteadyClock = std::chrono::steady_clock;

}  // namespace

TEST_CASE("concurrent enqueues all land exactly once in few commits", "[queue]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    constexpr int kThreads = 32;
    constexpr int kPerThread = 200;

    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&queue, &failures, t] {
            for (int i = 0; i < kPerThread; ++i) {
                try {
                    queue.enqueue({item(std::to_string(t) + ":" + std::to_string(i))});
                } catch (...) {
                    ++failures;
                }
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    REQUIRE(failures == 0);

    const auto stats = queue.stats();
    constexpr int kOps = kThreads * kPerThread;
    CHECK(stats.ready == kOps);
    CHECK(stats.committedOps == kOps);
    // Group commit: one transaction served many callers.
    CHECK(stats.commits * 4 < kOps);
    INFO("commits: " << stats.commits << " for " << kOps << " enqueues");

    const auto items = queue.take(kOps + 10, 30s, 0ms);
    REQUIRE(items.size() == kOps);
    std::set<std::string> seen;
    std::set<std::int64_t> ids;
    for (const auto& w : items) {
        seen.insert(w.message);
        ids.insert(w.id);
    }
    CHECK(seen.size() == kOps);
    CHECK(ids.size() == kOps);
    CHECK(seen.count("0:0") == 1);
    CHECK(seen.count("31:199") == 1);
}

TEST_CASE("concurrent enqueues against the limit are each all or nothing", "[queue]") {
    QueueTempDir dir;
    auto options = dir.options();
    options.maxReady = 100;
    SqliteQueue queue(options);

    // 20 callers of 10 items each race for room for 100 items.
    std::vector<std::future<bool>> calls;
    for (int t = 0; t < 20; ++t) {
        calls.push_back(std::async(std::launch::async, [&queue, t] {
            std::vector<NewWorkItem> items;
            for (int i = 0; i < 10; ++i) {
                items.push_back(item(std::to_string(t)));
            }
            try {
                queue.enqueue(items);
                return true;
            } catch (const QueueUnavailable&) {
                return false;
            }
        }));
    }
    std::set<std::string> accepted;
    for (int t = 0; t < 20; ++t) {
        if (calls[t].get()) {
            accepted.insert(std::to_string(t));
        }
    }
    CHECK(accepted.size() == 10);

    const auto items = queue.take(1000, 30s, 0ms);
    REQUIRE(items.size() == 100);
    std::map<std::string, int> perCaller;
    for (const auto& w : items) {
        ++perCaller[w.message];
    }
    for (const auto& [caller, count] : perCaller) {
        CHECK(accepted.count(caller) == 1);
        CHECK(count == 10);
    }
}

TEST_CASE("take waits for an item and wakes when one is enqueued", "[queue]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());

    const auto start = SteadyClock::now();
    auto taker = std::async(std::launch::async, [&queue] { return queue.take(5, 30s, 10s); });
    std::this_thread::sleep_for(150ms);
    CHECK(taker.wait_for(0ms) == std::future_status::timeout);
    queue.enqueue({item("wake-up")});

    REQUIRE(taker.wait_for(5s) == std::future_status::ready);
    const auto items = taker.get();
    const auto elapsed = SteadyClock::now() - start;
    REQUIRE(items.size() == 1);
    CHECK(items[0].message == "wake-up");
    CHECK(elapsed < 3s);
}

TEST_CASE("take returns empty when its wait passes", "[queue]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    const auto start = SteadyClock::now();
    CHECK(queue.take(1, 30s, 200ms).empty());
    const auto elapsed = SteadyClock::now() - start;
    CHECK(elapsed >= 190ms);
    CHECK(elapsed < 3s);
}

TEST_CASE("many takers share the items and each is handed out once", "[queue]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    constexpr int kItems = 300;

    std::atomic<int> settled{0};
    std::vector<std::future<std::vector<std::int64_t>>> workers;
    for (int t = 0; t < 4; ++t) {
        workers.push_back(std::async(std::launch::async, [&queue, &settled] {
            std::vector<std::int64_t> done;
            while (settled < kItems) {
                auto items = queue.take(7, 30s, 100ms);
                std::vector<Outcome> outcomes;
                for (const auto& w : items) {
                    Outcome o;
                    o.itemId = w.id;
                    o.leaseToken = w.leaseToken;
                    outcomes.push_back(o);
                    done.push_back(w.id);
                }
                queue.settle(std::move(outcomes));
                settled += static_cast<int>(items.size());
            }
            return done;
        }));
    }
    for (int i = 0; i < kItems; i += 10) {
        std::vector<NewWorkItem> batch;
        for (int j = i; j < i + 10; ++j) {
            batch.push_back(item(std::to_string(j)));
        }
        queue.enqueue(std::move(batch));
    }

    std::set<std::int64_t> ids;
    std::size_t total = 0;
    for (auto& worker : workers) {
        REQUIRE(worker.wait_for(10s) == std::future_status::ready);
        const auto done = worker.get();
        total += done.size();
        ids.insert(done.begin(), done.end());
    }
    CHECK(total == kItems);
    CHECK(ids.size() == kItems);
    const auto stats = queue.stats();
    CHECK(stats.ready == 0);
    CHECK(stats.leased == 0);
}

TEST_CASE("close wakes a blocked take and enqueue and settle keep working", "[queue]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    queue.enqueue({item("before-close")});
    const auto leased = queue.take(1, 30s, 0ms);
    REQUIRE(leased.size() == 1);

    auto taker = std::async(std::launch::async, [&queue] { return queue.take(1, 30s, 20s); });
    std::this_thread::sleep_for(150ms);
    CHECK(taker.wait_for(0ms) == std::future_status::timeout);

    const auto closedAt = SteadyClock::now();
    queue.close();
    REQUIRE(taker.wait_for(5s) == std::future_status::ready);
    CHECK(taker.get().empty());
    CHECK(SteadyClock::now() - closedAt < 2s);

    // Later takes return at once, even with items ready.
    queue.enqueue({item("after-close")});
    const auto start = SteadyClock::now();
    CHECK(queue.take(1, 30s, 10s).empty());
    CHECK(SteadyClock::now() - start < 1s);

    // In-flight work can still finish.
    Outcome done;
    done.itemId = leased[0].id;
    done.leaseToken = leased[0].leaseToken;
    done.next = {item("next-after-close")};
    queue.settle({done});
    const auto stats = queue.stats();
    CHECK(stats.ready == 2);
    CHECK(stats.leased == 0);
}

TEST_CASE("destroying the queue commits what was submitted", "[queue]") {
    QueueTempDir dir;
    {
        SqliteQueue queue(dir.options());
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; ++t) {
            threads.emplace_back([&queue, t] {
                for (int i = 0; i < 20; ++i) {
                    queue.enqueue({item(std::to_string(t * 100 + i))});
                }
            });
        }
        for (auto& thread : threads) {
            thread.join();
        }
    }
    SqliteQueue queue(dir.options());
    CHECK(queue.stats().ready == 160);
}

TEST_CASE("an operation that fails on its own data fails alone, the rest of its batch commits",
          "[queue]") {
    QueueTempDir dir;
    auto options = dir.options();
    options.maxRowBytes = 16 * 1024;  // SQLite refuses a bigger value: SQLITE_TOOBIG
    SqliteQueue queue(options);

    // Many small enqueues at once, so the oversized one shares its batch with some of them.
    constexpr int kThreads = 16;
    constexpr int kPerThread = 50;
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&queue, &failures, t] {
            for (int i = 0; i < kPerThread; ++i) {
                try {
                    queue.enqueue({item(std::to_string(t) + ":" + std::to_string(i))});
                } catch (...) {
                    ++failures;
                }
            }
        });
    }
    int refused = 0;
    for (int i = 0; i < 20; ++i) {
        try {
            queue.enqueue({item(std::string(64 * 1024, 'b'))});
        } catch (const QueueUnavailable& e) {
            CHECK_THAT(e.what(), Catch::Contains("queue refused the operation"));
            ++refused;
        }
    }
    for (auto& thread : threads) thread.join();

    CHECK(refused == 20);
    CHECK(failures == 0);
    const auto stats = queue.stats();
    CHECK(stats.ready == kThreads * kPerThread);
    CHECK(stats.backlogBytes > 0);
    CHECK(stats.backlogBytes < 16 * 1024 * 1024);
}

TEST_CASE("enqueueAsync reports each call once, after its commit, and refusals with nothing stored",
          "[queue]") {
    QueueTempDir dir;
    auto options = dir.options();
    options.maxReady = 150;
    constexpr int kCalls = 200;
    std::mutex mutex;
    std::condition_variable allDone;
    int reported = 0;
    int stored = 0;
    std::vector<std::string> refusals;
    {
        SqliteQueue queue(options);
        std::vector<std::thread> callers;
        for (int t = 0; t < 4; ++t) {
            callers.emplace_back([&, t] {
                for (int i = 0; i < kCalls / 4; ++i) {
                    const std::string message = std::to_string(t) + ":" + std::to_string(i);
                    queue.enqueueAsync({item(message)}, [&, message](std::exception_ptr error) {
                        std::lock_guard lock(mutex);
                        ++reported;
                        if (!error) {
                            ++stored;
                        } else {
                            try {
                                std::rethrow_exception(error);
                            } catch (const QueueUnavailable& e) {
                                refusals.push_back(e.what());
                            }
                        }
                        allDone.notify_all();
                    });
                }
            });
        }
        for (auto& caller : callers) caller.join();
        std::unique_lock lock(mutex);
        REQUIRE(allDone.wait_for(lock, 30s, [&] { return reported == kCalls; }));
        // Reported as stored means committed: visible to a take at once.
        CHECK(stored == 150);
        CHECK(refusals.size() == 50);
        CHECK(refusals.front().find("queue full") != std::string::npos);
        CHECK(takeAll(queue).size() == 150);
    }
    // And durable: still there after the queue is reopened.
    SqliteQueue reopened(options);
    CHECK(reopened.stats().ready == 150);
    CHECK(reported == kCalls);  // nothing reported twice
}

TEST_CASE("sleeping takers each get a share of a burst larger than one take", "[queue]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    constexpr int kTakers = 4;
    constexpr std::size_t kMax = 10;

    // Each asks for at most kMax and would sleep 20 s if nobody told it about work.
    std::vector<std::future<std::vector<WorkItem>>> takers;
    for (int t = 0; t < kTakers; ++t)
        takers.push_back(
            std::async(std::launch::async, [&queue] { return queue.take(kMax, 30s, 20s); }));
    std::this_thread::sleep_for(200ms);  // all asleep on an empty queue
    std::vector<NewWorkItem> burst;
    for (std::size_t i = 0; i < kTakers * kMax; ++i) burst.push_back(item(std::to_string(i)));
    const auto start = SteadyClock::now();
    queue.enqueue(std::move(burst));

    std::set<std::int64_t> ids;
    for (auto& taker : takers) {
        REQUIRE(taker.wait_for(10s) == std::future_status::ready);
        const auto items = taker.get();
        CHECK(items.size() == kMax);
        for (const auto& w : items) ids.insert(w.id);
    }
    // Woken one after another while there was work, not at the end of their wait.
    CHECK(SteadyClock::now() - start < 5s);
    CHECK(ids.size() == kTakers * kMax);
}

TEST_CASE("an enqueueAsync completion runs after COMMIT: another connection sees the item",
          "[queue]") {
    QueueTempDir dir;
    SqliteQueue queue(dir.options());
    std::promise<bool> seen;
    // hasPending reads through the queue's read connection, which sees committed rows only.
    queue.enqueueAsync({item("visible")}, [&](std::exception_ptr error) {
        seen.set_value(!error && queue.hasPending("exec-visible"));
    });
    auto result = seen.get_future();
    REQUIRE(result.wait_for(10s) == std::future_status::ready);
    CHECK(result.get());
}
