#include <catch2/catch.hpp>

#include <thread>

#include "ipc/worker_ledger.hpp"

using namespace flowgate;
using namespace std::chrono_literals;

namespace {

queue::WorkItem held(std::int64_t id) {
    return {
        id, static_cast<std::uint64_t>(id) * 10, "f", "exec-" + std::to_string(id), "s", "message",
        0};
}

}  // namespace

TEST_CASE("the ledger knows which item a worker runs and which it only holds", "[ipc]") {
    ipc::WorkerLedger ledger;
    CHECK_FALSE(ledger.attach(100));  // not a worker this intake started
    ledger.add(100);
    REQUIRE(ledger.attach(100));
    ledger.leased(100, {held(1), held(2), held(3)});
    ledger.started(100, 1, 10, 1000ms);
    CHECK(ledger.running(100)->item.id == 1);
    CHECK(ledger.running(100)->item.message.empty());  // names items, never keeps bodies
    ledger.started(100, 2, 999, 1000ms);               // a stale token changes nothing
    CHECK(ledger.running(100)->item.id == 1);
    ledger.started(100, 2, 20, 1000ms);
    CHECK(ledger.overdue(std::chrono::steady_clock::now()).empty());
    CHECK(ledger.overdue(std::chrono::steady_clock::now() + 2s).size() == 1);

    queue::Outcome done;
    done.itemId = 1;
    ledger.settled(100, {done});
    ledger.detach(100);
    const auto remains = ledger.remove(100, 0ms);
    REQUIRE(remains.running);
    CHECK(remains.running->item.id == 2);
    REQUIRE(remains.unstarted.size() == 1);
    CHECK(remains.unstarted[0].id == 3);
    CHECK_FALSE(ledger.attach(100));  // forgotten
}

TEST_CASE("settling makes a worker idle: no deadline runs while it settles", "[ipc]") {
    ipc::WorkerLedger ledger;
    ledger.add(7);
    ledger.leased(7, {held(1)});
    ledger.started(7, 1, 10, 1ms);
    ledger.idle(7);
    CHECK(ledger.overdue(std::chrono::steady_clock::now() + 1s).empty());
    const auto remains = ledger.remove(7, 0ms);
    CHECK_FALSE(remains.running);
    CHECK(remains.unstarted.size() == 1);
}

TEST_CASE("settling tells each item's flow, step and how long its step ran", "[ipc][metrics]") {
    ipc::WorkerLedger ledger;
    ledger.add(9);
    ledger.leased(9, {held(1), held(2), held(3)});
    ledger.started(9, 1, 10, 1000ms);
    std::this_thread::sleep_for(20ms);
    ledger.started(9, 2, 20, 1000ms);  // item 1 ran until now
    std::this_thread::sleep_for(5ms);
    ledger.idle(9);  // item 2 ran until the worker began to settle

    std::vector<queue::Outcome> outcomes(3);
    outcomes[0].itemId = 1;
    outcomes[1].itemId = 2;
    outcomes[2].itemId = 3;  // leased but never started (released)
    const auto runs = ledger.settled(9, outcomes);
    REQUIRE(runs.size() == 3);
    CHECK(runs[0].flow == "f");
    CHECK(runs[0].step == "s");
    REQUIRE(runs[0].seconds);
    CHECK(*runs[0].seconds >= 0.020);
    REQUIRE(runs[1].seconds);
    CHECK(*runs[1].seconds >= 0.005);
    CHECK(*runs[1].seconds < *runs[0].seconds);
    CHECK_FALSE(runs[2].seconds);
    CHECK(ledger.pids() == std::vector<pid_t>{9});
}

TEST_CASE("a step chained after an item is what the worker runs, on the item's behalf",
          "[ipc][chaining]") {
    ipc::WorkerLedger ledger;
    ledger.add(11);
    ledger.leased(11, {held(1)});
    ledger.started(11, 1, 10, 1000ms);
    CHECK(ledger.running(11)->step == "s");
    std::this_thread::sleep_for(20ms);
    ledger.started(11, 1, 10, 5ms, "log");  // chained: its own deadline, the same item
    CHECK(ledger.running(11)->step == "log");
    CHECK(ledger.running(11)->item.stepId == "s");
    CHECK(ledger.overdue(std::chrono::steady_clock::now() + 10ms).size() == 1);
    ledger.idle(11);
    std::vector<queue::Outcome> outcomes(1);
    outcomes[0].itemId = 1;
    const auto runs = ledger.settled(11, outcomes);
    // The item's own step ran until the chained one started; that one reports its own
    // duration in the outcome.
    REQUIRE(runs[0].seconds);
    CHECK(*runs[0].seconds >= 0.020);
    CHECK(runs[0].step == "s");
}
