// Counters of step outcomes, read by /metrics. Kept by the intake from the outcomes it
// settles (workers' and those of workers that died), so one place sees every worker.
// Relaxed atomics: figures, not sync points.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/step_metrics.hpp"
#include "queue/queue.hpp"

namespace flowgate::runtime {

// What the intake knows of a settled item besides its outcome: which step of which flow
// it was, and how long the step ran (unknown if it did not run).
struct StepRun {
    std::string flow;
    std::string step;
    std::optional<double> seconds;
};

// The label of an outcome in flowgate_step_runs_total.
inline std::string_view outcomeLabel(const queue::Outcome& o) {
    using Kind = queue::Outcome::Kind;
    switch (o.kind) {
        case Kind::completed: return "completed";
        case Kind::retry: return o.failed ? "failed" : "retry_later";
        case Kind::deadLetter: return "dead";
        case Kind::release: return "released";
        case Kind::wait: return "waiting";
    }
    return "unknown";
}

struct RuntimeMetrics {
    std::atomic<std::uint64_t> stepsCompleted{0};
    std::atomic<std::uint64_t> stepsFailed{0};  // failed attempts, retried or not
    std::atomic<std::uint64_t> stepsDeadLettered{0};
    std::atomic<std::uint64_t> branchesEnded{0};   // completed steps that emitted nothing onward
    std::atomic<std::uint64_t> stepsWaiting{0};    // steps that paused their execution
    std::atomic<std::uint64_t> workerRestarts{0};  // worker processes that died and were replaced

    metrics::StepMetrics steps;  // by flow, step and outcome; durations

    // Counts what `outcomes` say happened (called once they were settled). `runs[i]` names
    // the step of outcomes[i] where known (runs may be shorter); released items are not
    // step runs. Steps chained after an item's own (Outcome::chained) count as runs of
    // their own steps, as they would have unchained.
    void count(const std::vector<queue::Outcome>& outcomes, const std::vector<StepRun>& runs) {
        using Kind = queue::Outcome::Kind;
        for (std::size_t i = 0; i < outcomes.size() && i < runs.size(); ++i) {
            if (outcomes[i].kind == Kind::release) continue;
            steps.ran(runs[i].flow, runs[i].step, outcomeLabel(outcomes[i]), runs[i].seconds);
            for (const auto& chained : outcomes[i].chained)
                steps.ran(runs[i].flow, chained.stepId, chained.ok ? "completed" : "failed",
                          static_cast<double>(chained.durationUs) / 1e6);
        }
        for (const auto& o : outcomes) {
            if (o.failed) ++stepsFailed;
            if (o.kind == Kind::deadLetter) ++stepsDeadLettered;
            if (o.kind == Kind::wait) ++stepsWaiting;
            if (o.kind == Kind::completed) {
                ++stepsCompleted;
                if (o.next.empty()) ++branchesEnded;
            }
            for (const auto& chained : o.chained) ++(chained.ok ? stepsCompleted : stepsFailed);
        }
    }
};

}  // namespace flowgate::runtime
