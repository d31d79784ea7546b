// Counters the workers keep, read by /metrics. Relaxed atomics: figures, not sync points.
#pragma once

#include <atomic>
#include <cstdint>

namespace flowgate::runtime {

struct RuntimeMetrics {
    std::atomic<std::uint64_t> stepsCompleted{0};
    std::atomic<std::uint64_t> stepsFailed{0};       // failed attempts, retried or not
    std::atomic<std::uint64_t> stepsDeadLettered{0};
    std::atomic<std::uint64_t> stepsDeferred{0};     // retryLater, waiting for their flow
    std::atomic<std::uint64_t> branchesEnded{0};     // completed steps that emitted nothing onward
    std::atomic<std::uint64_t> stepsWaiting{0};      // steps that paused their execution
};

}  // namespace flowgate::runtime
