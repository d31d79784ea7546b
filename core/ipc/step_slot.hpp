// The "running step" slot of one worker process: a page of shared memory the intake makes
// for each worker it starts (memfd, inherited by the worker). The worker writes which
// leased item's step runs, since when and until when, before each step, and "idle" when it
// settles; the intake reads it to end an overdue worker and to name the step a dead worker
// was running. It replaces a one-way frame per step: no system call on the worker's side,
// no wake-up on the intake's.
//
// One writer (the worker's step thread), any number of readers, under a seqlock: the
// sequence is odd while a write is under way, and a reader retries until it read the
// fields between two equal even sequences. Every field is a lock-free std::atomic (so also
// address-free: the same page is mapped at different addresses in the two processes).
// Times are steady_clock, which is CLOCK_MONOTONIC on Linux: the same clock in every
// process of the machine.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "runtime/running_step.hpp"

namespace flowgate::ipc {

class StepSlot {
public:
    using Clock = std::chrono::steady_clock;

    // Step ids are at most 64 bytes (flow_loader.cpp); a longer one is cut to this, never
    // written past the slot.
    static constexpr std::size_t kMaxStepBytes = 128;

    // What the slot says.
    struct Entry {
        bool running = false;  // false: idle, the other fields mean nothing
        std::int64_t itemId = 0;
        std::uint64_t leaseToken = 0;
        std::string step;  // empty: the item's own step, else one chained after it
        Clock::time_point since;
        std::chrono::milliseconds deadline{0};
    };

    StepSlot() = default;  // no slot: reads say idle, writes are dropped
    // The intake's side: a new idle slot and its descriptor (close-on-exec: pass it to the
    // one child with spawnSelf). Throws std::system_error.
    static StepSlot create();
    // The worker's side: maps the slot whose descriptor it inherited and closes the
    // descriptor. Throws std::system_error (not a slot: std::runtime_error).
    static StepSlot adopt(int fd);

    StepSlot(StepSlot&& other) noexcept;
    StepSlot& operator=(StepSlot&& other) noexcept;
    ~StepSlot();

    explicit operator bool() const { return layout_ != nullptr; }
    // The descriptor of a created slot, until closeDescriptor(); -1 after.
    int descriptor() const { return fd_; }
    void closeDescriptor();

    // Writer: step `step` (empty: the item's own) of the leased item runs from `since`.
    void write(std::int64_t itemId, std::uint64_t leaseToken, const std::string& step,
               Clock::time_point since, std::chrono::milliseconds deadline);
    void writeIdle();

    // Reader, while the writer may be writing: a consistent entry, or nullopt if every
    // try met a write under way (ask again later).
    std::optional<Entry> read() const;
    // Reader, once the writer is dead (no write can be under way any more): the entry it
    // wrote last. If it died in the middle of a write, the entry it was writing if all its
    // fields were stored (only its publication was missing), else nullopt: the fields are
    // a mix of two entries and name nothing reliably.
    std::optional<Entry> readLeftover() const;

    struct Layout;  // public for the torn-write tests

private:
    StepSlot(Layout* layout, int fd) : layout_(layout), fd_(fd) {}
    Entry fields() const;

    Layout* layout_ = nullptr;
    int fd_ = -1;
};

struct StepSlot::Layout {
    std::atomic<std::uint64_t> sequence;  // odd while a write is under way
    // The odd sequence of the last write that stored all its fields (stored last, before
    // the even sequence): tells a torn write from an unpublished complete one.
    std::atomic<std::uint64_t> complete;
    std::atomic<std::uint32_t> running;
    std::atomic<std::uint32_t> stepLength;
    std::atomic<std::int64_t> itemId;
    std::atomic<std::uint64_t> leaseToken;
    std::atomic<std::int64_t> sinceNs;  // steady_clock
    std::atomic<std::int64_t> deadlineMs;
    std::atomic<std::uint64_t> step[kMaxStepBytes / 8];  // the bytes, 8 per word
};

// The worker's RunningStep: writes its slot.
class StepSlotWriter final : public runtime::RunningStep {
public:
    explicit StepSlotWriter(StepSlot slot) : slot_(std::move(slot)) {}

    Clock::time_point started(const queue::WorkItem& item, const std::string& stepId,
                              std::chrono::milliseconds deadline) override;
    void idle() override { slot_.writeIdle(); }

private:
    StepSlot slot_;
};

}  // namespace flowgate::ipc
