// A step slot's layout, mapped straight from its descriptor: how tests write what a worker
// that died mid-write leaves behind.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <stdexcept>

#include "ipc/step_slot.hpp"

namespace flowgate::test {

class MappedSlotLayout {
public:
    explicit MappedSlotLayout(int fd)
        : memory_(::mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) {
        if (memory_ == MAP_FAILED) throw std::runtime_error("mmap of a step slot failed");
    }
    ~MappedSlotLayout() { ::munmap(memory_, kSize); }
    MappedSlotLayout(const MappedSlotLayout&) = delete;
    MappedSlotLayout& operator=(const MappedSlotLayout&) = delete;

    ipc::StepSlot::Layout& operator*() const {
        return *static_cast<ipc::StepSlot::Layout*>(memory_);
    }
    ipc::StepSlot::Layout* operator->() const { return &**this; }

private:
    static constexpr std::size_t kSize = sizeof(ipc::StepSlot::Layout);
    void* memory_;
};

}  // namespace flowgate::test
