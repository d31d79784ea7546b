// Where a worker says which step it runs now. In `flowgate run` this is a page of memory the
// intake shares with the worker (ipc/step_slot.hpp): the intake reads it to end a worker
// whose step is past its deadline and to name the step, and charge the attempt, when a
// worker dies. No message and no system call per step.
#pragma once

#include <chrono>
#include <string>

#include "queue/queue.hpp"

namespace flowgate::runtime {

// Called from the worker's one thread.
class RunningStep {
public:
    using Clock = std::chrono::steady_clock;

    virtual ~RunningStep() = default;

    // Step `stepId` starts now on behalf of leased `item` and may run for `deadline`.
    // `stepId` is item.stepId, or a step chained after it in the same attempt
    // (runtime/step_chain.hpp). Returns the start time it recorded.
    virtual Clock::time_point started(const queue::WorkItem& item, const std::string& stepId,
                                      std::chrono::milliseconds deadline) = 0;

    // No step runs from now on (the worker settles its batch or waits for work).
    virtual void idle() = 0;
};

}  // namespace flowgate::runtime
