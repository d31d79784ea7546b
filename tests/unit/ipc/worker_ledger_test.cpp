#include <catch2/catch.hpp>

#include <unistd.h>

#include "ipc/worker_ledger.hpp"
#include "unit/ipc/step_slot_support.hpp"

using namespace flowgate;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

queue::WorkItem held(std::int64_t id) {
    return {
        id, static_cast<std::uint64_t>(id) * 10, "f", "exec-" + std::to_string(id), "s", "message",
        0};
}

// A worker's step slot as the intake makes it (`intake`, for the ledger) and as the worker
// maps it (`worker`, written by the test as the worker would).
struct Slots {
    ipc::StepSlot intake = ipc::StepSlot::create();
    ipc::StepSlot worker = ipc::StepSlot::adopt(::dup(intake.descriptor()));
};

}  // namespace

TEST_CASE("the ledger knows which item a worker runs and which it only holds", "[ipc]") {
    ipc::WorkerLedger ledger;
    Slots slots;
    CHECK_FALSE(ledger.attach(100));  // not a worker this intake started
    ledger.add(100, std::move(slots.intake));
    REQUIRE(ledger.attach(100));
    ledger.leased(100, {held(1), held(2), held(3)});
    CHECK_FALSE(ledger.running(100));  // a new slot is idle
    slots.worker.write(1, 10, "", Clock::now(), 1000ms);
    REQUIRE(ledger.running(100));
    CHECK(ledger.running(100)->item.id == 1);
    CHECK(ledger.running(100)->item.message.empty());  // names items, never keeps bodies
    slots.worker.write(2, 999, "", Clock::now(), 1000ms);  // a stale token names nothing
    CHECK_FALSE(ledger.running(100));
    slots.worker.write(2, 20, "", Clock::now(), 1000ms);
    CHECK(ledger.overdue(Clock::now()).empty());
    CHECK(ledger.overdue(Clock::now() + 2s).size() == 1);

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

TEST_CASE("an idle worker has no deadline: none runs while it settles", "[ipc]") {
    ipc::WorkerLedger ledger;
    Slots slots;
    ledger.add(7, std::move(slots.intake));
    ledger.leased(7, {held(1)});
    slots.worker.write(1, 10, "", Clock::now(), 1ms);
    CHECK(ledger.overdue(Clock::now() + 1s).size() == 1);
    slots.worker.writeIdle();
    CHECK(ledger.overdue(Clock::now() + 1s).empty());
    const auto remains = ledger.remove(7, 0ms);
    CHECK_FALSE(remains.running);
    CHECK(remains.unstarted.size() == 1);
}

TEST_CASE("a settled item is no longer running, whatever the slot still says", "[ipc]") {
    ipc::WorkerLedger ledger;
    Slots slots;
    ledger.add(8, std::move(slots.intake));
    ledger.leased(8, {held(1)});
    slots.worker.write(1, 10, "", Clock::now() - 1h, 1ms);
    queue::Outcome done;
    done.itemId = 1;
    ledger.settled(8, {done});
    CHECK_FALSE(ledger.running(8));
    CHECK(ledger.overdue(Clock::now()).empty());
    CHECK_FALSE(ledger.remove(8, 0ms).running);
}

TEST_CASE("settling tells each item's flow, step and how long the worker says it ran",
          "[ipc][metrics]") {
    ipc::WorkerLedger ledger;
    ledger.add(9);
    ledger.leased(9, {held(1), held(2), held(3)});
    std::vector<queue::Outcome> outcomes(3);
    outcomes[0].itemId = 1;
    outcomes[0].durationUs = 20'000;
    outcomes[1].itemId = 2;
    outcomes[1].durationUs = 0;
    outcomes[2].itemId = 3;  // leased but never run (released)
    const auto runs = ledger.settled(9, outcomes);
    REQUIRE(runs.size() == 3);
    CHECK(runs[0].flow == "f");
    CHECK(runs[0].step == "s");
    REQUIRE(runs[0].seconds);
    CHECK(*runs[0].seconds == Approx(0.020));
    REQUIRE(runs[1].seconds);
    CHECK(*runs[1].seconds == 0.0);
    CHECK_FALSE(runs[2].seconds);
    CHECK(ledger.pids() == std::vector<pid_t>{9});
}

TEST_CASE("a step chained after an item is what the worker runs, on the item's behalf",
          "[ipc][chaining]") {
    ipc::WorkerLedger ledger;
    Slots slots;
    ledger.add(11, std::move(slots.intake));
    ledger.leased(11, {held(1)});
    slots.worker.write(1, 10, "", Clock::now(), 1000ms);
    CHECK(ledger.running(11)->step == "s");
    slots.worker.write(1, 10, "log", Clock::now(), 5ms);  // chained: its own deadline
    CHECK(ledger.running(11)->step == "log");
    CHECK(ledger.running(11)->item.stepId == "s");
    CHECK(ledger.overdue(Clock::now() + 10ms).size() == 1);
    const auto remains = ledger.remove(11, 0ms);
    REQUIRE(remains.running);
    CHECK(remains.running->step == "log");
    CHECK(remains.unstarted.empty());
}

TEST_CASE("a worker that died mid-write: a complete entry names its item, a torn one none",
          "[ipc]") {
    ipc::WorkerLedger ledger;
    Slots slots;
    test::MappedSlotLayout layout(slots.intake.descriptor());
    ledger.add(12, std::move(slots.intake));
    ledger.leased(12, {held(1), held(2)});
    slots.worker.write(1, 10, "", Clock::now(), 1000ms);
    // It began the entry of item 2 and died after storing its id only.
    const auto odd = layout->sequence.load() + 1;
    layout->sequence.store(odd);
    layout->itemId.store(2);
    CHECK_FALSE(ledger.running(12));  // a live look: a write under way, not late either
    CHECK(ledger.overdue(Clock::now() + 1h).empty());

    SECTION("torn: both items are unstarted, neither is charged") {
        const auto remains = ledger.remove(12, 0ms);
        CHECK_FALSE(remains.running);
        CHECK(remains.unstarted.size() == 2);
    }
    SECTION("every field stored, only the publication missing: item 2 was starting") {
        layout->leaseToken.store(20);
        layout->complete.store(odd);
        const auto remains = ledger.remove(12, 0ms);
        REQUIRE(remains.running);
        CHECK(remains.running->item.id == 2);
        REQUIRE(remains.unstarted.size() == 1);
        CHECK(remains.unstarted[0].id == 1);
    }
}
