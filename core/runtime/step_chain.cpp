#include "runtime/step_chain.hpp"

#include "flowgate/common/utf8.hpp"
#include "log/log_fields.hpp"

namespace flowgate::runtime {

namespace {

// A step that builds a fresh message still belongs to the same execution: keep what
// the engine put in meta (flow, requestId, ...) unless the step set it itself.
void inheritMeta(Message& out, const Message& in) {
    if (!out.meta.is_object()) out.meta = nlohmann::json::object();
    if (!in.meta.is_object()) return;
    for (const auto& [key, value] : in.meta.items())
        if (!out.meta.contains(key)) out.meta[key] = value;
}

std::int64_t epochMs(std::chrono::system_clock::time_point at) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
}

}  // namespace

StepChain::StepChain(const ChainEnvironment& environment, const flow::Flow& flow,
                     const queue::WorkItem& item)
    : environment_(environment), flow_(flow), item_(item) {}

bool StepChain::mayChain(const flow::StepDef& from, const flow::StepDef& to) const {
    return environment_.enabled && from.pure && !sideEffect_ && !stopped_ && to.step &&
           !to.pausesExecution;
}

void StepChain::forward(const flow::StepDef& step, Message& input,
                        std::vector<EmittedMessage>& emitted) {
    std::vector<const flow::StepDef*> targets(emitted.size());
    std::size_t last = emitted.size();  // the last message that goes on: it may take the input
    for (std::size_t i = 0; i < emitted.size(); ++i)
        if ((targets[i] = flow_.nextStep(step, emitted[i].output))) last = i;
    for (std::size_t i = 0; i < emitted.size(); ++i) {
        const flow::StepDef* target = targets[i];
        if (!target) continue;  // an output nobody listens to ends that branch
        Message& out = emitted[i].message;
        // Deterministic ids: a re-run of an in-flight step emits the same ids, which lets
        // downstream systems drop the duplicates. Derived from the input's id (the request
        // id at the first step), so messages of different branches (after a split, a
        // multi-output jq) never share an id.
        std::string id = input.id + "/" + step.id + "/" + std::to_string(i);
        if (emitted[i].forwardsInput) {
            out = i == last ? std::move(input) : input;  // nothing after `last` reads the input
            inheritMeta(out, {});  // its meta is the input's: only make sure it is an object
        } else {
            inheritMeta(out, input);
        }
        out.id = std::move(id);
        if (mayChain(step, *target))
            run(*target, std::move(out));
        else
            store(*target, out);
    }
}

void StepChain::store(const flow::StepDef& step, const Message& message) {
    // Strict: a string that is not UTF-8 throws, and the attempt fails (the worker's).
    next_.push_back({item_.flowId, item_.executionId, step.id, nlohmann::json(message).dump()});
}

void StepChain::run(const flow::StepDef& step, Message input) {
    // The first run of this step on this message, whatever attempt the leased item is on.
    WorkItemContext context(flow_, step, input, item_.executionId, 1, environment_.engineSettings,
                            environment_.attachments, environment_.logger);
    const auto startedAt = std::chrono::system_clock::now();
    const auto start =
        environment_.steps.started(item_, step.id, step.timeout.value_or(environment_.stepTimeout));
    StepResult result;
    try {
        result = step.step->execute(input, context);
    } catch (const std::exception& e) {
        result = {false, std::string("engine error while running the step: ") + e.what()};
    }
    if (!step.pure) sideEffect_ = true;
    // A retry or a wait needs the stored item the queue delays or parks: the step runs
    // again from there and asks again.
    std::string failure;
    if (context.retryLaterRequested())
        failure = "asked to retry later (" + context.retryReason() + ")";
    else if (context.waitTimeout())
        failure = "asked to wait";
    else if (!result.ok)
        failure = result.error;
    runs_.push_back({step.id, failure.empty(), common::replaceInvalidUtf8(failure),
                     epochMs(startedAt),
                     std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::steady_clock::now() - start)
                         .count()});
    if (!failure.empty()) {
        stopped_ = true;
        log::logWith(environment_.logger, Poco::Message::PRIO_WARNING,
                     "flow " + flow_.id + " step " + step.id + " requestId " + item_.executionId +
                         ": chained run failed, its input is stored as a work item: " +
                         runs_.back().error,
                     {flow_.id, step.id, item_.executionId, 1});
        store(step, input);
        return;
    }
    if (context.pendingReply() && !reply_) reply_ = std::move(context.pendingReply());
    forward(step, input, context.emitted());
}

}  // namespace flowgate::runtime
