// Where the messages a completed step emitted go: each becomes a work item of the step its
// output leads to, or, after a pure step (FunctionSpec::pure), runs through that step at
// once in the same worker and attempt (stream engines call this operator chaining).
//
// A pure step's output need not be durable before the next step runs: if the attempt dies,
// the leased item runs again from its own step and emits the same messages (same ids).
// Chaining is depth first, and ends
// - after a step that is not pure: its own emits are stored (so an attempt has at most one
//   side effect, and it is the last thing the attempt does; once it happened, every
//   message still to route is stored instead of run);
// - before a step that pauses executions (it needs a stored item to park);
// - at a chained step that fails, asks to retry later or to wait: its input is stored as
//   an ordinary work item, which the queue retries under that step's own attempts, retry
//   policy and dead letters; the run is reported as a failed ChainedRun.
#pragma once

#include <chrono>
#include <optional>
#include <vector>

#include <Poco/Logger.h>

#include "attachments/attachment_store.hpp"
#include "flow/flow.hpp"
#include "flowgate/message.hpp"
#include "queue/queue.hpp"
#include "runtime/work_item_context.hpp"
#include "runtime/running_step.hpp"

namespace flowgate::runtime {

// What a chain needs of its worker; everything referenced outlives the chain.
struct ChainEnvironment {
    RunningStep& steps;  // told when each chained step starts (deadlines, crash reports)
    const nlohmann::json& engineSettings;
    const attachments::AttachmentStore& attachments;
    Poco::Logger& logger;
    std::chrono::milliseconds stepTimeout;  // a step's deadline unless it sets timeoutMs
    bool enabled;                           // workers.chainPureSteps
};

// One per attempt of a leased item, on the worker's thread.
class StepChain {
public:
    StepChain(const ChainEnvironment& environment, const flow::Flow& flow,
              const queue::WorkItem& item);

    // `step` completed on `input` and emitted `emitted` (its context's list; the messages
    // are moved from). Message ids and meta are set as for stored items: the i-th emit of
    // step s on input m is "<m.id>/<s>/<i>", meta inherited from the input. `input` is
    // moved from when the step forwarded it (StepContext::forwardTo) to a step that
    // follows. Throws nlohmann::json::exception if a message to store cannot be serialized
    // (strings must be UTF-8).
    void forward(const flow::StepDef& step, Message& input, std::vector<EmittedMessage>& emitted);

    // Work items to store with the leased item's outcome.
    std::vector<queue::NewWorkItem>& next() { return next_; }
    // The chained steps' runs, in the order they ran.
    std::vector<queue::ChainedRun>& runs() { return runs_; }
    // The first HTTP reply a chained step sent (a sync flow's caller gets it after the
    // settle, like an unchained step's).
    std::optional<HttpReply>& reply() { return reply_; }

private:
    bool mayChain(const flow::StepDef& from, const flow::StepDef& to) const;
    void run(const flow::StepDef& step, Message input);
    void store(const flow::StepDef& step, const Message& message);

    const ChainEnvironment& environment_;
    const flow::Flow& flow_;
    const queue::WorkItem& item_;
    std::vector<queue::NewWorkItem> next_;
    std::vector<queue::ChainedRun> runs_;
    std::optional<HttpReply> reply_;
    bool sideEffect_ = false;  // a step that is not pure ran in this attempt
    bool stopped_ = false;     // a chained step failed
};

}  // namespace flowgate::runtime
