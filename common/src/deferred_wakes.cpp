#include "flowgate/common/deferred_wakes.hpp"

#include <utility>
#include <vector>

namespace flowgate::common {

namespace {

struct Pending {
    const void* key;
    std::function<void()> wake;
};

// This thread's open scope, if any, and its wakes. Few keys per scope (one per edge
// server), so a linear search beats a set.
thread_local bool tOpen = false;
thread_local std::vector<Pending> tPending;

}  // namespace

DeferredWakes::DeferredWakes() : outermost_(!tOpen) {
    tOpen = true;
}

DeferredWakes::~DeferredWakes() {
    if (!outermost_) return;
    // Closed before running them: a wake that defers again runs at once.
    tOpen = false;
    std::vector<Pending> pending = std::move(tPending);
    tPending.clear();
    for (auto& p : pending) p.wake();
}

bool DeferredWakes::defer(const void* key, std::function<void()> wake) {
    if (!tOpen) return false;
    for (const auto& p : tPending)
        if (p.key == key) return true;
    tPending.push_back({key, std::move(wake)});
    return true;
}

}  // namespace flowgate::common
