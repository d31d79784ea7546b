// What SqliteQueue's operations cost on disk, counted below SQLite (support/
// sqlite_io_counter): a lease, a retry or a release rewrites small rows, not the pages that
// hold the messages.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "queue/sqlite_queue.hpp"
#include "support/sqlite_io_counter.hpp"
#include "unit/queue/queue_test_support.hpp"

using namespace std::chrono_literals;
using flowgate::queue::NewWorkItem;
using flowgate::queue::Outcome;
using flowgate::queue::SqliteQueue;
using flowgate::test::outcome;
using flowgate::test::QueueTempDir;
using flowgate::test::SqliteIoCounter;
using flowgate::test::takeAll;

TEST_CASE(
    "leasing, retrying and releasing 32 items of 1 KiB writes a few pages, not their "
    "messages",
    "[queue][pages]") {
    const SqliteIoCounter io;
    QueueTempDir dir;
    auto options = dir.options();
    options.idleCheckpointAfter = 1h;  // idle maintenance writes pages of its own
    options.history.enabled = false;   // so are the history's rows: counted apart
    SqliteQueue queue(options);
    std::vector<NewWorkItem> items;
    for (int i = 0; i < 32; ++i)
        items.push_back({"flow-a", "exec-" + std::to_string(i), "step-1", std::string(1024, 'm')});
    auto before = io.counts();
    queue.enqueue(std::move(items));
    // 32 KiB of messages take at least 8 pages of 4 KiB: storing them writes those.
    const auto enqueued = io.counts() - before;
    CHECK(enqueued.walFrames >= 9);

    // Each step below commits alone and rewrites only work_items rows (~60 bytes each,
    // one or two pages for all 32) and the pages of their index on available_at_ms.
    constexpr std::int64_t kFewPages = 5;
    before = io.counts();
    auto leased = takeAll(queue);
    REQUIRE(leased.size() == 32);
    const auto take = io.counts() - before;
    INFO("take: " << take.walFrames << " frames; enqueue: " << enqueued.walFrames);
    CHECK(take.walFrames <= kFewPages);

    std::vector<Outcome> retries;
    for (const auto& item : leased) {
        Outcome o = outcome(item, Outcome::Kind::retry);
        o.failed = true;
        retries.push_back(std::move(o));
    }
    before = io.counts();
    queue.settle(std::move(retries));
    const auto retry = io.counts() - before;
    INFO("retry: " << retry.walFrames << " frames");
    CHECK(retry.walFrames <= kFewPages);

    leased = takeAll(queue);
    REQUIRE(leased.size() == 32);
    std::vector<Outcome> releases;
    for (const auto& item : leased) releases.push_back(outcome(item, Outcome::Kind::release));
    before = io.counts();
    queue.settle(std::move(releases));
    const auto release = io.counts() - before;
    INFO("release: " << release.walFrames << " frames");
    CHECK(release.walFrames <= kFewPages);

    // And the messages are all still there, whole.
    leased = takeAll(queue);
    REQUIRE(leased.size() == 32);
    for (const auto& item : leased) CHECK(item.message == std::string(1024, 'm'));
}
