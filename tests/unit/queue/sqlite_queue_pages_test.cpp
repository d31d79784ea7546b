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
using flowgate::queue::WorkItem;
using flowgate::test::outcome;
using flowgate::test::QueueTempDir;
using flowgate::test::SqliteIoCounter;
using flowgate::test::takeAll;

namespace {

// WAL frames written while `run` runs.
template <typename Run>
std::int64_t framesWrittenBy(const SqliteIoCounter& io, Run run) {
    const auto before = io.counts();
    run();
    return (io.counts() - before).walFrames;
}

// Settles every item with an outcome of `kind` (a failed one for a retry).
void settleAll(SqliteQueue& queue, const std::vector<WorkItem>& leased, Outcome::Kind kind) {
    std::vector<Outcome> outcomes;
    for (const auto& item : leased) {
        outcomes.push_back(outcome(item, kind));
        outcomes.back().failed = kind == Outcome::Kind::retry;
    }
    queue.settle(std::move(outcomes));
}

}  // namespace

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
    // 32 KiB of messages take at least 8 pages of 4 KiB: storing them writes those.
    const auto enqueued = framesWrittenBy(io, [&] { queue.enqueue(std::move(items)); });
    CHECK(enqueued >= 9);

    // Each step below commits alone and rewrites only work_items rows (~60 bytes each,
    // one or two pages for all 32) and the pages of their index on available_at_ms.
    constexpr std::int64_t kFewPages = 5;
    std::vector<WorkItem> leased;
    const auto take = framesWrittenBy(io, [&] { leased = takeAll(queue); });
    REQUIRE(leased.size() == 32);
    INFO("enqueue: " << enqueued << " frames, take: " << take);
    CHECK(take <= kFewPages);

    const auto retry = framesWrittenBy(io, [&] { settleAll(queue, leased, Outcome::Kind::retry); });
    INFO("retry: " << retry);
    CHECK(retry <= kFewPages);

    leased = takeAll(queue);
    REQUIRE(leased.size() == 32);
    const auto release =
        framesWrittenBy(io, [&] { settleAll(queue, leased, Outcome::Kind::release); });
    INFO("release: " << release);
    CHECK(release <= kFewPages);

    // And the messages are all still there, whole.
    leased = takeAll(queue);
    REQUIRE(leased.size() == 32);
    for (const auto& item : leased) CHECK(item.message == std::string(1024, 'm'));
}

TEST_CASE("pruning 500 executions of 1 KiB from the history writes no temporary file",
          "[queue][pages][history]") {
    // Pruning runs in a savepoint, whose journal keeps every page it changes. Past SQLite's
    // default of 64 KiB that journal went to a temporary file: a write of each page.
    const SqliteIoCounter io;
    QueueTempDir dir;
    auto options = dir.options();
    options.idleCheckpointAfter = 1h;
    {
        SqliteQueue queue(options);
        std::vector<NewWorkItem> items;
        for (int i = 0; i < 500; ++i)
            items.push_back(
                {"flow-a", "exec-" + std::to_string(i), "step-1", std::string(1024, 'm')});
        queue.enqueue(std::move(items));
        const auto leased = takeAll(queue);
        REQUIRE(leased.size() == 500);
        settleAll(queue, leased, Outcome::Kind::completed);  // their messages: history's alone
    }
    options.history.maxExecutions = 1;
    SqliteQueue queue(options);
    const auto before = io.counts();
    queue.enqueue({NewWorkItem{"flow-a", "fresh", "step-1", "m"}});  // its batch prunes
    const auto written = io.counts() - before;

    const auto page = queue.executions({});
    REQUIRE(page.items.size() == 1);  // the 500 were pruned, by that one batch
    CHECK(page.items[0].requestId == "fresh");
    INFO("WAL frames of the batch: " << written.walFrames);
    CHECK(written.temporaryBytes == 0);
}
