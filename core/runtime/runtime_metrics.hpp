// Counters of step outcomes, read by /metrics. Kept by the intake from the outcomes it
// settles (workers' and those of workers that died), so one place sees every worker.
// Relaxed atomics: figures, not sync points.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "queue/queue.hpp"

namespace flowgate::runtime {

struct RuntimeMetrics {
    std::atomic<std::uint64_t> stepsCompleted{0};
    std::atomic<std::uint64_t> stepsFailed{0};  // failed attempts, retried or not
    std::atomic<std::uint64_t> stepsDeadLettered{0};
    std::atomic<std::uint64_t> branchesEnded{0};   // completed steps that emitted nothing onward
    std::atomic<std::uint64_t> stepsWaiting{0};    // steps that paused their execution
    std::atomic<std::uint64_t> workerRestarts{0};  // worker processes that died and were replaced

    // Counts what `outcomes` say happened (called once they were settled).
    void count(const std::vector<queue::Outcome>& outcomes) {
        using Kind = queue::Outcome::Kind;
        for (const auto& o : outcomes) {
            if (o.failed) ++stepsFailed;
            if (o.kind == Kind::deadLetter) ++stepsDeadLettered;
            if (o.kind == Kind::wait) ++stepsWaiting;
            if (o.kind == Kind::completed) {
                ++stepsCompleted;
                if (o.next.empty()) ++branchesEnded;
            }
        }
    }
};

}  // namespace flowgate::runtime
