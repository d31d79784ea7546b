// The step slot across two real processes: the child maps the slot from its descriptor as a
// worker does and writes it; this process reads it as the intake does.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "ipc/step_slot.hpp"
#include "unit/ipc/step_slot_support.hpp"

using namespace flowgate;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

queue::WorkItem item(std::int64_t id, std::uint64_t token, std::string step) {
    return {id, token, "flow", "exec", std::move(step), "", 0};
}

// One byte each way between the test and its child: each side waits for the other's turn.
struct Turns {
    int toChild[2];
    int toParent[2];
    Turns() {
        REQUIRE(::pipe(toChild) == 0);
        REQUIRE(::pipe(toParent) == 0);
    }
    static void signal(int fd) {
        const char byte = 1;
        if (::write(fd, &byte, 1) != 1) ::_exit(3);
    }
    static bool await(int fd) {
        char byte;
        return ::read(fd, &byte, 1) == 1;
    }
};

int waitFor(pid_t child) {
    int status = 0;
    ::waitpid(child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

TEST_CASE("step slot: what the worker process writes, the intake reads", "[ipc][slot]") {
    ipc::StepSlot intake = ipc::StepSlot::create();
    CHECK(intake.read()->running == false);  // a new slot is idle
    Turns turns;
    const auto before = Clock::now();
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ipc::StepSlotWriter worker(ipc::StepSlot::adopt(::dup(intake.descriptor())));
        worker.started(item(7, 70, "parse"), "parse", 1500ms);  // its own step
        Turns::signal(turns.toParent[1]);
        Turns::await(turns.toChild[0]);
        worker.started(item(7, 70, "parse"), "log", 250ms);  // one chained after it
        Turns::signal(turns.toParent[1]);
        Turns::await(turns.toChild[0]);
        worker.idle();
        ::_exit(0);
    }
    REQUIRE(Turns::await(turns.toParent[0]));
    auto entry = intake.read();
    REQUIRE(entry);
    CHECK(entry->running);
    CHECK(entry->itemId == 7);
    CHECK(entry->leaseToken == 70);
    CHECK(entry->step.empty());  // the item's own
    CHECK(entry->deadline == 1500ms);
    CHECK(entry->since >= before);  // the same monotonic clock in both processes
    CHECK(entry->since <= Clock::now());

    Turns::signal(turns.toChild[1]);
    REQUIRE(Turns::await(turns.toParent[0]));
    entry = intake.read();
    REQUIRE(entry);
    CHECK(entry->step == "log");
    CHECK(entry->deadline == 250ms);

    Turns::signal(turns.toChild[1]);
    CHECK(waitFor(child) == 0);
    CHECK(intake.read()->running == false);
    CHECK(intake.readLeftover()->running == false);
}

TEST_CASE("step slot: a reader never sees half of one entry and half of another",
          "[ipc][slot]") {
    ipc::StepSlot intake = ipc::StepSlot::create();
    const std::string longStep(64, 'b');  // the longest step id a flow may have
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ipc::StepSlot worker = ipc::StepSlot::adopt(::dup(intake.descriptor()));
        const auto since = Clock::time_point(1s);
        for (int i = 0; i < 2'000'000; ++i) {
            if (i % 2 == 0)
                worker.write(1, 10, "a", since, 1000ms);
            else
                worker.write(2, 20, longStep, since + 1s, 2000ms);
        }
        ::_exit(0);
    }
    int reads = 0;
    int torn = 0;
    int running = 0;
    for (int status = 0; ::waitpid(child, &status, WNOHANG) == 0;) {
        const auto entry = intake.read();
        ++reads;
        if (!entry || !entry->running) continue;
        ++running;
        const bool a = entry->itemId == 1 && entry->leaseToken == 10 && entry->step == "a" &&
                       entry->deadline == 1000ms && entry->since == Clock::time_point(1s);
        const bool b = entry->itemId == 2 && entry->leaseToken == 20 && entry->step == longStep &&
                       entry->deadline == 2000ms && entry->since == Clock::time_point(2s);
        if (!a && !b) ++torn;
    }
    INFO(reads << " reads, " << running << " of them during the writes");
    CHECK(running > 0);
    CHECK(torn == 0);
}

TEST_CASE("step slot: a step id longer than the slot is cut, never written past it",
          "[ipc][slot]") {
    ipc::StepSlot slot = ipc::StepSlot::create();
    test::MappedSlotLayout layout(slot.descriptor());
    const std::string huge(ipc::StepSlot::kMaxStepBytes * 4, 'x');
    slot.write(1, 10, huge, Clock::now(), 1s);
    CHECK(slot.read()->step == huge.substr(0, ipc::StepSlot::kMaxStepBytes));
    // A length past the slot, as a broken writer could leave it, reads as much as fits.
    layout->stepLength.store(1u << 30);
    CHECK(slot.read()->step.size() == ipc::StepSlot::kMaxStepBytes);
}

TEST_CASE("step slot: a writer that died mid-write leaves an entry only if it was complete",
          "[ipc][slot]") {
    ipc::StepSlot intake = ipc::StepSlot::create();
    const bool completeFields = GENERATE(false, true);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ipc::StepSlot worker = ipc::StepSlot::adopt(::dup(intake.descriptor()));
        worker.write(1, 10, "", Clock::now(), 1s);
        // The next write, as far as it got before the process died: item 2's id, and with
        // completeFields every field and the completion mark, but not the even sequence.
        test::MappedSlotLayout layout(intake.descriptor());
        const auto odd = layout->sequence.load() + 1;
        layout->sequence.store(odd);
        layout->itemId.store(2);
        if (completeFields) {
            layout->leaseToken.store(20);
            layout->complete.store(odd);
        }
        ::kill(::getpid(), SIGKILL);  // as the intake kills an overdue worker
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFSIGNALED(status));
    CHECK_FALSE(intake.read());  // looks like a write under way forever
    const auto leftover = intake.readLeftover();
    if (completeFields) {
        REQUIRE(leftover);
        CHECK(leftover->itemId == 2);
        CHECK(leftover->leaseToken == 20);
    } else {
        CHECK_FALSE(leftover);  // item 2's id with item 1's token: names nothing
    }
}
