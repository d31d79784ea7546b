#include "ipc/step_slot.hpp"

#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace flowgate::ipc {

namespace {

static_assert(std::atomic<std::uint64_t>::is_always_lock_free &&
                  std::atomic<std::int64_t>::is_always_lock_free &&
                  std::atomic<std::uint32_t>::is_always_lock_free,
              "a slot shared between processes needs lock-free (address-free) atomics");

constexpr std::size_t kWords = StepSlot::kMaxStepBytes / 8;
constexpr std::size_t kSize = 4096;  // one page
static_assert(sizeof(StepSlot::Layout) <= kSize);

// A reader retries this often while a write is under way: a write is a few dozen stores,
// so it only fails if the writer was descheduled mid-write; the caller asks again later.
constexpr int kReadTries = 1000;

std::system_error lastError(const char* what) {
    return std::system_error(errno, std::generic_category(), what);
}

StepSlot::Layout* map(int fd) {
    void* memory = ::mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (memory == MAP_FAILED) throw lastError("mmap of the step slot");
    return static_cast<StepSlot::Layout*>(memory);
}

}  // namespace

StepSlot StepSlot::create() {
    const int fd = ::memfd_create("flowgate-step-slot", MFD_CLOEXEC);
    if (fd < 0) throw lastError("memfd_create");
    if (::ftruncate(fd, kSize) != 0) {
        const auto error = lastError("ftruncate of the step slot");
        ::close(fd);
        throw error;
    }
    try {
        // The file is zero-filled: an idle slot at sequence 0. Constructing the layout
        // there starts the atomics' lifetime in this process.
        return StepSlot(new (map(fd)) Layout{}, fd);
    } catch (...) {
        ::close(fd);
        throw;
    }
}

StepSlot StepSlot::adopt(int fd) {
    struct stat info {};
    if (::fstat(fd, &info) != 0) throw lastError("the step slot descriptor");
    if (info.st_size < static_cast<off_t>(kSize)) {
        ::close(fd);
        throw std::runtime_error("descriptor " + std::to_string(fd) + " is not a step slot");
    }
    Layout* layout = map(fd);
    ::close(fd);  // the mapping stays
    return StepSlot(layout, -1);
}

StepSlot::StepSlot(StepSlot&& other) noexcept
    : layout_(std::exchange(other.layout_, nullptr)), fd_(std::exchange(other.fd_, -1)) {}

StepSlot& StepSlot::operator=(StepSlot&& other) noexcept {
    if (this != &other) {
        if (layout_) ::munmap(layout_, kSize);
        closeDescriptor();
        layout_ = std::exchange(other.layout_, nullptr);
        fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
}

StepSlot::~StepSlot() {
    if (layout_) ::munmap(layout_, kSize);
    closeDescriptor();
}

void StepSlot::closeDescriptor() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

void StepSlot::write(std::int64_t itemId, std::uint64_t leaseToken, const std::string& step,
                     Clock::time_point since, std::chrono::milliseconds deadline) {
    if (!layout_) return;
    Layout& slot = *layout_;
    const std::size_t length = std::min(step.size(), kMaxStepBytes);
    std::uint64_t words[kWords] = {};
    std::memcpy(words, step.data(), length);

    const std::uint64_t odd = slot.sequence.load(std::memory_order_relaxed) + 1;
    slot.sequence.store(odd, std::memory_order_relaxed);
    // No field store may be seen before the odd sequence.
    std::atomic_thread_fence(std::memory_order_release);
    slot.running.store(1, std::memory_order_relaxed);
    slot.itemId.store(itemId, std::memory_order_relaxed);
    slot.leaseToken.store(leaseToken, std::memory_order_relaxed);
    slot.sinceNs.store(std::chrono::duration_cast<std::chrono::nanoseconds>(
                           since.time_since_epoch())
                           .count(),
                       std::memory_order_relaxed);
    slot.deadlineMs.store(deadline.count(), std::memory_order_relaxed);
    slot.stepLength.store(static_cast<std::uint32_t>(length), std::memory_order_relaxed);
    for (std::size_t i = 0; i < (length + 7) / 8; ++i)
        slot.step[i].store(words[i], std::memory_order_relaxed);
    slot.complete.store(odd, std::memory_order_release);
    slot.sequence.store(odd + 1, std::memory_order_release);
}

void StepSlot::writeIdle() {
    if (!layout_) return;
    Layout& slot = *layout_;
    const std::uint64_t odd = slot.sequence.load(std::memory_order_relaxed) + 1;
    slot.sequence.store(odd, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    slot.running.store(0, std::memory_order_relaxed);
    slot.complete.store(odd, std::memory_order_release);
    slot.sequence.store(odd + 1, std::memory_order_release);
}

StepSlot::Entry StepSlot::fields() const {
    const Layout& slot = *layout_;
    Entry entry;
    entry.running = slot.running.load(std::memory_order_relaxed) != 0;
    entry.itemId = slot.itemId.load(std::memory_order_relaxed);
    entry.leaseToken = slot.leaseToken.load(std::memory_order_relaxed);
    entry.since = Clock::time_point(std::chrono::duration_cast<Clock::duration>(
        std::chrono::nanoseconds(slot.sinceNs.load(std::memory_order_relaxed))));
    entry.deadline = std::chrono::milliseconds(slot.deadlineMs.load(std::memory_order_relaxed));
    // The other process's memory: never trust a length to stay within the slot.
    const std::size_t length = std::min<std::size_t>(
        slot.stepLength.load(std::memory_order_relaxed), kMaxStepBytes);
    std::uint64_t words[kWords];
    for (std::size_t i = 0; i < (length + 7) / 8; ++i)
        words[i] = slot.step[i].load(std::memory_order_relaxed);
    entry.step.assign(reinterpret_cast<const char*>(words), length);
    if (!entry.running) entry = Entry{};
    return entry;
}

std::optional<StepSlot::Entry> StepSlot::read() const {
    if (!layout_) return Entry{};
    for (int i = 0; i < kReadTries; ++i) {
        const std::uint64_t before = layout_->sequence.load(std::memory_order_acquire);
        if (before % 2 == 0) {
            Entry entry = fields();
            // The field loads happen before the second load of the sequence.
            std::atomic_thread_fence(std::memory_order_acquire);
            if (layout_->sequence.load(std::memory_order_relaxed) == before) return entry;
        }
        if (i % 64 == 63) ::sched_yield();  // the writer may be descheduled mid-write
    }
    return std::nullopt;
}

std::optional<StepSlot::Entry> StepSlot::readLeftover() const {
    if (!layout_) return Entry{};
    const std::uint64_t sequence = layout_->sequence.load(std::memory_order_acquire);
    // Loaded before the fields: a complete write stored them all before it.
    const std::uint64_t complete = layout_->complete.load(std::memory_order_acquire);
    if (sequence % 2 != 0 && complete != sequence) return std::nullopt;
    return fields();
}

StepSlotWriter::Clock::time_point StepSlotWriter::started(const queue::WorkItem& item,
                                                          const std::string& stepId,
                                                          std::chrono::milliseconds deadline) {
    const auto now = Clock::now();
    // Empty for the item's own step: only a chained step is named.
    static const std::string own;
    slot_.write(item.id, item.leaseToken, stepId == item.stepId ? own : stepId, now, deadline);
    return now;
}

}  // namespace flowgate::ipc
