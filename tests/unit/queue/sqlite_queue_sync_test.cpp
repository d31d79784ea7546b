// The flush of a commit to the disk, done by the WAL syncer off the writer's thread: callers
// hear of a commit only after it, the writer applies the next ops meanwhile and commits them
// once the disk is free, and a failed flush fails its callers and stops the queue until it is
// opened again.
#include <catch2/catch.hpp>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "queue_test_support.hpp"

namespace flowgate::test {
namespace {

using namespace std::chrono_literals;
using queue::QueueUnavailable;
using queue::SqliteQueue;

// A flush the test holds until it lets go, counting the flushes.
class HeldSync {
public:
    int sync(int fd) {
        std::unique_lock lock(mutex_);
        ++started_;
        changed_.notify_all();
        changed_.wait(lock, [this] { return !holding_; });
        return ::fdatasync(fd) == 0 ? 0 : errno;
    }
    void hold() {
        std::lock_guard lock(mutex_);
        holding_ = true;
    }
    void release() {
        {
            std::lock_guard lock(mutex_);
            holding_ = false;
        }
        changed_.notify_all();
    }
    bool waitStarted(int count) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, 10s, [&] { return started_ >= count; });
    }
    int started() {
        std::lock_guard lock(mutex_);
        return started_;
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    bool holding_ = false;
    int started_ = 0;
};

// A queue whose WAL flushes go through a HeldSync.
struct QueueWithHeldSync {
    QueueTempDir dir;
    HeldSync sync;
    SqliteQueue queue{heldOptions()};

    queue::SqliteQueueOptions heldOptions() {
        auto options = dir.options();
        options.syncWal = [this](int fd) { return sync.sync(fd); };
        return options;
    }
};

// A completion's outcome: empty once durable, else what it was refused with.
std::future<std::string> enqueueWatched(SqliteQueue& queue, queue::NewWorkItem newItem) {
    auto done = std::make_shared<std::promise<std::string>>();
    queue.enqueueAsync({std::move(newItem)}, [done](std::exception_ptr error) {
        std::string why;
        try {
            if (error) std::rethrow_exception(error);
        } catch (const QueueUnavailable& e) {
            why = e.what();
        }
        done->set_value(why);
    });
    return done->get_future();
}

std::future<std::string> enqueueWatched(SqliteQueue& queue, const std::string& message) {
    return enqueueWatched(queue, item(message));
}

// A burst of webhook calls, applied together while a flush is held: the calls pile up and
// go in as runs of single-item enqueues, in multi-row statements of up to 32 rows. `calls`
// are the items' messages (execution "exec-<message>") or, as "<id>=<message>", a call
// for execution "exec-<id>". Returns what each call was answered.
std::vector<std::string> burst(SqliteQueue& queue, HeldSync& sync,
                               const std::vector<std::string>& calls) {
    sync.hold();
    const int flushes = sync.started();
    auto first = enqueueWatched(queue, "lead-" + std::to_string(flushes));
    REQUIRE(sync.waitStarted(flushes + 1));
    std::vector<std::future<std::string>> pending;
    for (const auto& call : calls) {
        const auto at = call.find('=');
        pending.push_back(
            at == std::string::npos
                ? enqueueWatched(queue, call)
                : enqueueWatched(queue, queue::NewWorkItem{"flow-a", "exec-" + call.substr(0, at),
                                                           "step-1", call.substr(at + 1)}));
    }
    sync.release();
    REQUIRE(first.get().empty());
    std::vector<std::string> answers;
    for (auto& call : pending) answers.push_back(call.get());
    return answers;
}

void checkBurst(bool history) {
    QueueTempDir dir;
    HeldSync sync;
    auto options = dir.options();
    options.syncWal = [&sync](int fd) { return sync.sync(fd); };
    options.history.enabled = history;
    SqliteQueue queue(options);

    std::vector<std::string> calls;
    for (int i = 0; i < 140; ++i) calls.push_back(std::to_string(i));
    for (const auto& answer : burst(queue, sync, calls)) CHECK(answer.empty());
    // Each call is one item with its own message, in the order of the calls.
    auto items = takeAll(queue);
    REQUIRE(items.size() == 141);
    CHECK(items[0].message == "lead-0");
    for (int i = 0; i < 140; ++i) {
        CHECK(items[1 + i].message == std::to_string(i));
        CHECK(items[1 + i].executionId == "exec-" + std::to_string(i));
    }
    if (history) {
        // Each execution once, with its call's message, numbered in the order of the calls.
        std::int64_t seq = queue.execution("exec-lead-0")->execution.seq;
        for (int i = 0; i < 140; ++i) {
            const auto execution = queue.execution("exec-" + std::to_string(i));
            REQUIRE(execution);
            CHECK(execution->execution.message == std::to_string(i));
            CHECK(execution->execution.status == "running");
            CHECK(execution->execution.seq == ++seq);
        }
    } else {
        CHECK_FALSE(queue.execution("exec-0"));
    }

    // A call that repeats an execution id (the history knows it: the statement fails, and
    // the writer applies the batch again op by op): every call of the batch is stored.
    for (const auto& answer : burst(queue, sync, {"a", "7=again", "b"})) CHECK(answer.empty());
    items = takeAll(queue);
    REQUIRE(items.size() == 4);
    CHECK(items[1].message == "a");
    CHECK(items[2].message == "again");
    CHECK(items[2].executionId == "exec-7");
    CHECK(items[3].message == "b");
    if (history) {
        CHECK(queue.execution("exec-7")->execution.message == "7");
        CHECK(queue.execution("exec-b")->execution.message == "b");
    }
    CHECK(queue.stats().ready == 0);
}

}  // namespace

TEST_CASE("a commit is answered only after its flush, and what arrives meanwhile is "
          "committed together once the disk is free",
          "[queue][sync]") {
    QueueWithHeldSync held;
    auto& [dir, sync, queue] = held;
    const std::int64_t commitsBefore = queue.stats().commits;

    sync.hold();
    auto first = enqueueWatched(queue, "first");
    REQUIRE(sync.waitStarted(1));
    // Committed (another connection sees it) but not flushed: not answered.
    CHECK(queryInt(dir / "queue.db", "SELECT COUNT(*) FROM work_items") == 1);
    CHECK(first.wait_for(200ms) == std::future_status::timeout);

    // The writer is not held by the flush: it applies what comes meanwhile, in one open
    // transaction that it commits only once the flush is over (a commit now would only
    // wait behind it).
    std::vector<std::future<std::string>> meanwhile;
    for (const char* message : {"second", "third", "fourth"}) {
        meanwhile.push_back(enqueueWatched(queue, message));
        std::this_thread::sleep_for(50ms);
    }
    CHECK(queryInt(dir / "queue.db", "SELECT COUNT(*) FROM work_items") == 1);
    CHECK(meanwhile.front().wait_for(100ms) == std::future_status::timeout);
    CHECK(sync.started() == 1);

    sync.release();
    REQUIRE(first.wait_for(10s) == std::future_status::ready);
    CHECK(first.get().empty());
    for (auto& answer : meanwhile) {
        REQUIRE(answer.wait_for(10s) == std::future_status::ready);
        CHECK(answer.get().empty());
    }
    // Two commits for the four, and one more flush for the second commit.
    CHECK(queue.stats().commits - commitsBefore == 2);
    CHECK(sync.started() == 2);
    CHECK(takeAll(queue).size() == 4);
}

TEST_CASE("an answer that rests on a commit still being flushed waits for that flush",
          "[queue][sync]") {
    QueueWithHeldSync held;
    auto& [dir, sync, queue] = held;

    sync.hold();
    auto first = std::async(std::launch::async, [&] {
        return queue.enqueueOnce("delivery-1", 1h, "exec-first", {item("first")});
    });
    REQUIRE(sync.waitStarted(1));
    // The redelivery finds the first one's key (committed) and writes nothing, but saying
    // "already accepted" before the first is on the disk could lose both to a power cut.
    auto again = std::async(std::launch::async, [&] {
        return queue.enqueueOnce("delivery-1", 1h, "exec-again", {item("again")});
    });
    CHECK(again.wait_for(300ms) == std::future_status::timeout);

    sync.release();
    REQUIRE(first.wait_for(10s) == std::future_status::ready);
    CHECK(first.get() == std::nullopt);
    REQUIRE(again.wait_for(10s) == std::future_status::ready);
    CHECK(again.get() == std::optional<std::string>("exec-first"));
}

TEST_CASE("a burst of calls committed together keeps each call's item, message and execution",
          "[queue][sync]") {
    SECTION("with history") {
        checkBurst(true);
    }
    SECTION("without history") {
        checkBurst(false);
    }
}

TEST_CASE("the writer keeps the history within its limit while it waits for a flush",
          "[queue][sync][history]") {
    QueueTempDir dir;
    HeldSync sync;
    auto options = dir.options();
    options.syncWal = [&sync](int fd) { return sync.sync(fd); };
    options.history.maxExecutions = 10;
    SqliteQueue queue(options);
    const auto file = dir.path() / "queue.db";
    const auto started = std::chrono::steady_clock::now();
    queue.enqueue({item("first")});  // the first batch's prune finds nothing due

    // 200 executions in one commit, whose flush is held: 191 past the limit, and the
    // batch backstop is a second away.
    std::vector<queue::NewWorkItem> burst;
    for (int i = 0; i < 200; ++i) burst.push_back(item("burst-" + std::to_string(i)));
    sync.hold();
    auto stored = std::async(std::launch::async, [&] { queue.enqueue(burst); });
    REQUIRE(sync.waitStarted(2));
    // The next op finds the disk busy: while it waits, the writer deletes the oldest
    // executions in its open transaction, committed with the op after the flush.
    auto next = enqueueWatched(queue, "next");
    std::this_thread::sleep_for(100ms);
    sync.release();
    REQUIRE(stored.wait_for(10s) == std::future_status::ready);
    REQUIRE(next.wait_for(10s) == std::future_status::ready);
    CHECK(next.get().empty());
    // Else the batch backstop may have pruned instead, and this test would prove nothing.
    REQUIRE(std::chrono::steady_clock::now() - started < 900ms);
    // Pruned in steps of 64 while at least 64 were due: at most 63 left past the limit.
    const auto kept = queryInt(file, "SELECT COUNT(*) FROM executions");
    CHECK(kept <= 10 + 63 + 1);
    CHECK(queryInt(file, "SELECT MAX(seq) - MIN(seq) + 1 FROM executions") == kept);
    CHECK(queue.execution("exec-next"));
    CHECK_FALSE(queue.execution("exec-first"));
}

TEST_CASE("a failed flush fails its callers and everything after, until the queue is reopened",
          "[queue][sync]") {
    QueueTempDir dir;
    {
        auto options = dir.options();
        options.syncWal = [](int) { return EIO; };
        SqliteQueue queue(options);
        auto refused = enqueueWatched(queue, "lost?");
        REQUIRE(refused.wait_for(10s) == std::future_status::ready);
        const std::string why = refused.get();
        CHECK(why.find("could not be flushed to disk") != std::string::npos);
        CHECK(why.find("restart") != std::string::npos);
        // Nothing more is written: later calls fail at once with the same reason.
        CHECK_THROWS_WITH(queue.enqueue({item("later")}),
                          Catch::Contains("could not be flushed to disk"));
        CHECK_THROWS_AS(takeAll(queue), QueueUnavailable);
    }
    // Opened again (as after a restart): SQLite recovers the file and the queue works.
    SqliteQueue reopened(dir.options());
    reopened.enqueue({item("after")});
    CHECK_FALSE(takeAll(reopened).empty());
}

}  // namespace flowgate::test
