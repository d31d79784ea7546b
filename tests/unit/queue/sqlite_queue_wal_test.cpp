// SqliteQueue's files under sustained load: the WAL is checkpointed and reset while writers
// never pause, the database reuses the pages of finished items, and the backlog limit in
// bytes refuses enqueues before the disk fills.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
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

namespace {

std::uintmax_t fileSize(const std::filesystem::path& file) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(file, ec);
    return ec ? 0 : size;
}

// Keeps the writer busy the way a webhook load does: `producers` threads enqueue 1 KiB
// messages without pause while one consumer takes and completes them, and a reader asks
// for stats now and then (as /health does). Runs until `target` items are completed (or a
// minute passed, on a machine far too busy), calling `sample` about every 20 ms; returns
// how many items were completed.
template <typename Sample>
std::int64_t runLoad(SqliteQueue& queue, std::int64_t target, Sample sample) {
    const std::string body(1024, 'x');
    std::atomic<bool> stop{false};
    std::atomic<std::int64_t> completed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; !stop; ++i) {
                try {
                    queue.enqueue({NewWorkItem{
                        "flow-a", "exec-" + std::to_string(t) + "-" + std::to_string(i), "step-1",
                        body}});
                } catch (const QueueUnavailable&) {
                    std::this_thread::sleep_for(1ms);  // backlog limit: the consumer catches up
                }
            }
        });
    }
    threads.emplace_back([&] {
        while (!stop) {
            auto items = queue.take(256, 30s, 10ms);
            std::vector<Outcome> outcomes;
            for (const auto& item : items)
                outcomes.push_back(outcome(item, Outcome::Kind::completed));
            queue.settle(std::move(outcomes));
            completed += static_cast<std::int64_t>(items.size());
        }
    });
    threads.emplace_back([&] {
        while (!stop) {
            queue.stats();
            std::this_thread::sleep_for(5ms);
        }
    });
    const auto end = std::chrono::steady_clock::now() + 60s;
    while (completed < target && std::chrono::steady_clock::now() < end) {
        sample();
        std::this_thread::sleep_for(20ms);
    }
    stop = true;
    for (auto& thread : threads) thread.join();
    return completed;
}

}  // namespace

TEST_CASE("under continuous writes the WAL is checkpointed and reset, so it stays bounded",
          "[queue][wal]") {
    QueueTempDir dir;
    auto options = dir.options();
    options.walLimitBytes = 2 * 1024 * 1024;
    SqliteQueue queue(options);
    const auto wal = dir.path() / "queue.db-wal";

    std::uintmax_t largestWal = 0;
    // 20,000 items of 1 KiB: written, leased and deleted, ~40 MiB of WAL frames in all.
    const auto completed =
        runLoad(queue, 20000, [&] { largestWal = std::max(largestWal, fileSize(wal)); });

    INFO("largest WAL " << largestWal << " bytes; " << completed << " items completed");
    // Several times the limit would already mean the WAL is not being reset: a checkpoint
    // runs once the limit is passed, and one batch adds far less than the limit.
    REQUIRE(completed >= 20000);
    CHECK(largestWal < 3 * options.walLimitBytes);
    CHECK(queue.stats().walBytes < 3 * static_cast<std::int64_t>(options.walLimitBytes));
}

namespace {

void drain(SqliteQueue& queue) {
    for (;;) {
        auto taken = queue.take(1000, 30s, 0ms);
        if (taken.empty()) return;
        std::vector<Outcome> outcomes;
        for (const auto& item : taken) outcomes.push_back(outcome(item, Outcome::Kind::completed));
        queue.settle(std::move(outcomes));
    }
}

}  // namespace

TEST_CASE("once idle, the database gives the pages of finished items back and the WAL is emptied",
          "[queue][wal]") {
    QueueTempDir dir;
    auto options = dir.options();
    options.walLimitBytes = 2 * 1024 * 1024;
    options.idleCheckpointAfter = 300ms;
    // The history keeps a copy of each input message by design (until its retention,
    // tested in sqlite_history_test.cpp); this test is about the items' own pages.
    options.history.enabled = false;
    SqliteQueue queue(options);
    const auto db = dir.path() / "queue.db";
    const auto wal = dir.path() / "queue.db-wal";

    // A backlog of 8 MiB makes the file grow to hold it...
    const std::string body(1024, 'y');
    for (int round = 0; round < 8; ++round) {
        std::vector<NewWorkItem> items;
        for (int i = 0; i < 1000; ++i)
            items.push_back({"flow-a", "e" + std::to_string(round * 1000 + i), "step-1", body});
        queue.enqueue(std::move(items));
    }
    std::this_thread::sleep_for(600ms);  // idle: the WAL is copied into the file
    const auto grown = fileSize(db);
    REQUIRE(grown > 8u * 1024 * 1024);

    // ...and once it is worked off (under load, which reuses the freed pages) and the
    // queue is idle, the file shrinks back to its empty tables and the WAL to nothing.
    drain(queue);
    const auto completed = runLoad(queue, 5000, [] {});
    REQUIRE(completed >= 5000);
    drain(queue);
    std::this_thread::sleep_for(1500ms);
    INFO("database grew to " << grown << " bytes, now " << fileSize(db) << "; WAL "
                             << fileSize(wal));
    CHECK(queue.stats().backlogBytes == 0);
    CHECK(fileSize(db) < 512u * 1024);
    CHECK(fileSize(wal) == 0);
}

TEST_CASE("the backlog limit in bytes refuses enqueues, and settles still store their next items",
          "[queue][backlog]") {
    QueueTempDir dir;
    auto options = dir.options();
    options.maxBacklogBytes = 10 * 1024;
    SqliteQueue queue(options);
    const std::string body(1024, 'z');

    for (int i = 0; i < 10; ++i)
        queue.enqueue({NewWorkItem{"flow-a", "e" + std::to_string(i), "s", body}});
    CHECK(queue.stats().backlogBytes == 10 * 1024);
    REQUIRE_THROWS_AS(queue.enqueue({NewWorkItem{"flow-a", "e10", "s", body}}), QueueUnavailable);
    try {
        queue.enqueue({NewWorkItem{"flow-a", "e10", "s", body}});
    } catch (const QueueUnavailable& e) {
        CHECK_THAT(e.what(), Catch::Contains("backlog full"));
    }
    CHECK(queue.stats().ready == 10);

    // A step's outputs are accepted work: they may pass the limit.
    auto taken = queue.take(1, 30s, 0ms);
    REQUIRE(taken.size() == 1);
    auto done = outcome(taken[0], Outcome::Kind::completed);
    done.next.push_back(NewWorkItem{"flow-a", "e0", "s2", body});
    done.next.push_back(NewWorkItem{"flow-a", "e0", "s2", body});
    queue.settle({done});
    CHECK(queue.stats().backlogBytes == 11 * 1024);

    // Draining below the limit lets enqueues in again.
    drain(queue);
    CHECK(queue.stats().backlogBytes == 0);
    queue.enqueue({NewWorkItem{"flow-a", "e11", "s", body}});
    CHECK(queue.stats().ready == 1);
}

TEST_CASE("the backlog in bytes is counted again when the queue is reopened", "[queue][backlog]") {
    QueueTempDir dir;
    {
        SqliteQueue queue(dir.options());
        queue.enqueue({NewWorkItem{"flow-a", "e1", "s", std::string(3000, 'a')}});
    }
    SqliteQueue queue(dir.options());
    CHECK(queue.stats().backlogBytes == 3000);
}
