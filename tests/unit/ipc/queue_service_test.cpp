// The worker link end to end in one process: a real SqliteQueue served by QueueService on
// a real unix socket, used by QueueClient as a worker does, and by a raw FrameSocket that
// sends what a broken worker would.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "ipc/queue_client.hpp"
#include "ipc/queue_service.hpp"
#include "ipc/queue_wire.hpp"
#include "queue/sqlite_queue.hpp"
#include "reply/reply_channel.hpp"
#include "unit/queue/queue_test_support.hpp"

using namespace flowgate;
using namespace std::chrono_literals;
using test::QueueTempDir;

namespace {

const std::string kBinary("\x00\xff{\"not\":\"utf-8 \xc3\x28\"}", 22);

// What the intake runs for its workers; this test process is the one worker.
struct Intake {
    QueueTempDir dir;
    queue::SqliteQueue queue{dir.options()};
    ipc::WorkerLedger ledger;
    std::unique_ptr<reply::ReplyChannel> replies = reply::makeInProcessReplyChannel();
    runtime::RuntimeMetrics metrics;
    std::filesystem::path socket = dir / "workers.sock";
    std::unique_ptr<ipc::QueueService> service;

    Intake() {
        ledger.add(::getpid());
        service =
            std::make_unique<ipc::QueueService>(socket, queue, ledger, *replies, metrics, 30s);
    }
};

}  // namespace

TEST_CASE("worker link: a worker takes, settles, asks and replies over the socket",
          "[ipc]") {
    Intake intake;
    intake.queue.enqueue({{"flow-a", "exec-1", "step-1", kBinary}});
    std::atomic<int> lost{0};
    ipc::QueueClient client(intake.socket, 2s, [&] { ++lost; });

    const auto items = client.take(32, 1000ms);
    REQUIRE(items.size() == 1);
    CHECK(items[0].message == kBinary);
    CHECK(items[0].stepId == "step-1");
    CHECK(client.hasPending("exec-1"));

    auto waiter = intake.replies->expect("exec-1");
    client.deliverReply("exec-1", {201, {{"X-Step", "1"}}, kBinary});
    const auto reply = waiter->wait(std::chrono::steady_clock::now() + 5s);
    REQUIRE(reply);
    CHECK(reply->status == 201);
    CHECK(reply->headers.at("X-Step") == "1");
    CHECK(reply->body == kBinary);

    queue::Outcome done = test::outcome(items[0], queue::Outcome::Kind::completed);
    done.next = {{"flow-a", "exec-1", "step-2", kBinary + "2"}};
    client.settle({done});
    const auto next = client.take(32, 1000ms);
    REQUIRE(next.size() == 1);
    CHECK(next[0].stepId == "step-2");
    CHECK(next[0].message == kBinary + "2");
    client.settle({test::outcome(next[0], queue::Outcome::Kind::completed)});

    CHECK_FALSE(client.hasPending("exec-1"));
    CHECK(intake.metrics.stepsCompleted == 2);
    CHECK(lost == 0);
}

TEST_CASE("worker link: a malformed frame closes the worker's link and applies nothing",
          "[ipc]") {
    Intake intake;
    intake.queue.enqueue({{"flow-a", "exec-1", "step-1", "{}"}});
    ipc::FrameSocket worker(ipc::connectTo(intake.socket));
    worker.send(ipc::wire::takeRequest(1, 1000ms));
    const auto items = ipc::wire::decodeTakeAnswer(worker.receive().value());
    REQUIRE(items.size() == 1);

    // A settle of that item, one byte short.
    const std::string settle =
        ipc::wire::settleRequest({test::outcome(items[0], queue::Outcome::Kind::completed)});
    worker.send(std::string_view(settle).substr(0, settle.size() - 1));

    // The intake hangs up at once rather than leave the worker waiting for an answer...
    CHECK_FALSE(worker.receive().has_value());
    // ...and the item is still leased to this worker, as before the frame.
    const auto stats = intake.queue.stats();
    CHECK(stats.leased == 1);
    CHECK(stats.ready == 0);
    CHECK(intake.metrics.stepsCompleted == 0);
    const auto remains = intake.ledger.remove(::getpid(), 2s);
    REQUIRE(remains.unstarted.size() == 1);
    CHECK(remains.unstarted[0].id == items[0].id);
}
