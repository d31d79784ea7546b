#include "runtime/worker_pool.hpp"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

#include "runtime/step_run.hpp"

namespace flowgate::runtime {

using queue::Outcome;
using queue::WorkItem;

namespace {

// Items of a flow that is not loaded (a reload in progress, a plugin still missing)
// wait instead of failing: the flow may come back.
constexpr std::chrono::milliseconds kMissingFlowDelay{5000};

Outcome outcomeFor(const WorkItem& item, Outcome::Kind kind) {
    Outcome outcome;
    outcome.itemId = item.id;
    outcome.leaseToken = item.leaseToken;
    outcome.kind = kind;
    return outcome;
}

// A step that builds a fresh message still belongs to the same execution: keep what
// the engine put in meta (flow, requestId, ...) unless the step set it itself.
void inheritMeta(Message& out, const Message& in) {
    if (!out.meta.is_object()) out.meta = nlohmann::json::object();
    if (!in.meta.is_object()) return;
    for (const auto& [key, value] : in.meta.items())
        if (!out.meta.contains(key)) out.meta[key] = value;
}

// A sync flow's caller learns that the execution failed instead of waiting for its
// timeout. The step's own error stays in the log: it may name internal systems.
std::optional<HttpReply> failureReply(const flow::Flow& flow, const std::string& reason) {
    if (flow.trigger.responseMode != "sync") return std::nullopt;
    HttpReply reply;
    reply.status = 500;
    reply.headers["Content-Type"] = "application/json";
    reply.body = nlohmann::json{{"error", "flow_failed"}, {"message", reason}}.dump();
    return reply;
}

std::string isoTime(std::chrono::system_clock::time_point at) {
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch()).count();
    return Poco::DateTimeFormatter::format(Poco::Timestamp(micros),
                                           Poco::DateTimeFormat::ISO8601_FRAC_FORMAT);
}

// The token of the execution's resume URL ".../resume/{executionId}/{token}", which the
// Webhooks Service put in meta.resumeUrl; empty if there is none.
std::string resumeToken(const Message& input) {
    if (!input.meta.is_object()) return {};
    auto url = input.meta.find("resumeUrl");
    if (url == input.meta.end() || !url->is_string()) return {};
    const std::string& text = url->get_ref<const std::string&>();
    const auto slash = text.rfind('/');
    return slash == std::string::npos ? std::string() : text.substr(slash + 1);
}

// A step asked to wait: park the item with meta.wait telling a later run (after the
// timeout) that it has waited already.
std::optional<Outcome> parkOutcome(const WorkItem& item, Message input,
                                   std::chrono::milliseconds timeout) {
    const std::string token = resumeToken(input);
    if (token.empty()) return std::nullopt;
    const auto now = std::chrono::system_clock::now();
    if (!input.meta.is_object()) input.meta = nlohmann::json::object();
    input.meta.erase("resume");
    input.meta["wait"] = {{"step", item.stepId},
                          {"since", isoTime(now)},
                          {"timeoutAt", isoTime(now + timeout)}};
    Outcome park = outcomeFor(item, Outcome::Kind::wait);
    park.delay = timeout;
    park.waitToken = token;
    park.message = nlohmann::json(input).dump();
    return park;
}

}  // namespace

WorkerPool::WorkerPool(queue::Queue& queue, const flow::FlowCatalog& flows,
                       reply::ReplyChannel& replies, attachments::AttachmentStore& attachments,
                       config::WorkerSettings settings, nlohmann::json engineSettings,
                       RuntimeMetrics& metrics)
    : queue_(queue), flows_(flows), replies_(replies), attachments_(attachments), settings_(settings),
      engineSettings_(std::move(engineSettings)), metrics_(metrics),
      logger_(Poco::Logger::get("flowgate.worker")) {}

WorkerPool::~WorkerPool() { stop(); }

void WorkerPool::start() {
    for (int i = 0; i < settings_.threads; ++i) threads_.emplace_back([this] { run(); });
}

void WorkerPool::stop() {
    if (stopping_.exchange(true)) return;
    queue_.close();
    for (auto& t : threads_)
        if (t.joinable()) t.join();
    threads_.clear();
}

void WorkerPool::run() {
    const auto batch = static_cast<std::size_t>(settings_.batch);
    while (!stopping_) {
        std::vector<WorkItem> items = queue_.take(batch, settings_.lease, std::chrono::seconds(1));
        if (items.empty()) continue;
        std::vector<Outcome> outcomes;
        std::vector<std::pair<std::string, HttpReply>> replies;
        std::vector<std::string> endedWithAttachments;
        outcomes.reserve(items.size());
        for (const auto& item : items) {
            if (stopping_) {
                outcomes.push_back(outcomeFor(item, Outcome::Kind::release));
                continue;
            }
            Processed processed = process(item);
            outcomes.push_back(std::move(processed.outcome));
            if (processed.reply) replies.emplace_back(item.executionId, std::move(*processed.reply));
            if (processed.endsBranchWithAttachments) endedWithAttachments.push_back(item.executionId);
        }
        try {
            queue_.settle(std::move(outcomes));
        } catch (const std::exception& e) {
            // Leases run out and the items run again: at-least-once, never lost.
            logger_.error("cannot settle %z work items, they will run again: %s", items.size(),
                          std::string(e.what()));
            continue;
        }
        for (auto& [executionId, reply] : replies) replies_.deliver(executionId, std::move(reply));
        for (const auto& executionId : endedWithAttachments) releaseAttachments(executionId);
    }
}

void WorkerPool::releaseAttachments(const std::string& executionId) {
    try {
        if (!queue_.hasPending(executionId)) attachments_.removeExecution(executionId);
    } catch (const std::exception& e) {
        logger_.error("execution %s: cannot remove its attachments: %s", executionId,
                      std::string(e.what()));
    }
}

WorkerPool::Processed WorkerPool::process(const WorkItem& item) {
    Message input;
    try {
        input = nlohmann::json::parse(item.message).get<Message>();
    } catch (const std::exception& e) {
        Outcome dead = outcomeFor(item, Outcome::Kind::deadLetter);
        dead.error = std::string("stored message is not readable: ") + e.what();
        ++metrics_.stepsDeadLettered;
        return {dead, std::nullopt, false};
    }

    auto flow = flows_.findEnabled(item.flowId);
    if (!flow) {
        Outcome wait = outcomeFor(item, Outcome::Kind::release);
        wait.delay = kMissingFlowDelay;
        ++metrics_.stepsDeferred;
        return {wait, std::nullopt, false};
    }
    const flow::StepDef* step = flow->findStep(item.stepId);
    if (!step || !step->step) {
        Outcome dead = outcomeFor(item, Outcome::Kind::deadLetter);
        dead.error = "flow '" + flow->id + "' has no step '" + item.stepId + "' any more";
        ++metrics_.stepsDeadLettered;
        logger_.error("flow %s: %s", flow->id, dead.error);
        return {dead, failureReply(*flow, dead.error), false};
    }

    const int attempt = item.failedAttempts + 1;
    WorkItemContext context(*flow, *step, attempt, engineSettings_, logger_);
    StepResult result = step->step->execute(input, context);

    if (context.retryLaterRequested()) {
        Outcome later = outcomeFor(item, Outcome::Kind::retry);
        later.delay = context.retryDelay();
        later.error = context.retryReason();
        ++metrics_.stepsDeferred;
        return {later, std::nullopt, false};
    }
    std::optional<Outcome> park;
    if (result.ok && context.waitTimeout()) {
        park = parkOutcome(item, input, *context.waitTimeout());
        if (park) {
            ++metrics_.stepsWaiting;
            return {std::move(*park), std::move(context.pendingReply()), false};
        }
        result = {false, "step asked to wait, but its flow's messages have no resume URL "
                         "(the function must declare pausesExecution)"};
    }
    if (!result.ok) {
        ++metrics_.stepsFailed;
        if (attempt >= flow->retry.maxAttempts) {
            Outcome dead = outcomeFor(item, Outcome::Kind::deadLetter);
            dead.error = result.error;
            ++metrics_.stepsDeadLettered;
            logger_.error("flow %s step %s execution %s: attempt %d failed, dead-lettered: %s",
                          flow->id, step->id, item.executionId, attempt, result.error);
            return {dead, failureReply(*flow, "step '" + step->id + "' failed after " +
                                                  std::to_string(attempt) + " attempt(s)"),
                    false};
        }
        Outcome retry = outcomeFor(item, Outcome::Kind::retry);
        retry.failed = true;
        retry.error = result.error;
        retry.delay = flow->retry.delayBeforeRetry(attempt);
        logger_.warning("flow %s step %s execution %s: attempt %d failed, retry in %?d ms: %s",
                        flow->id, step->id, item.executionId, attempt,
                        static_cast<long long>(retry.delay.count()), result.error);
        return {retry, std::nullopt, false};
    }

    Outcome done = outcomeFor(item, Outcome::Kind::completed);
    auto& emitted = context.emitted();
    for (std::size_t i = 0; i < emitted.size(); ++i) {
        const flow::StepDef* target = flow->nextStep(*step, emitted[i].output);
        if (!target) continue;  // an output nobody listens to ends that branch
        Message& out = emitted[i].message;
        inheritMeta(out, input);
        // Deterministic ids: a re-run of an in-flight step emits the same ids, which
        // lets downstream systems drop the duplicates. Derived from the input's id (the
        // request id at the first step), so messages of different branches (after a
        // split, a multi-output jq) never share an id.
        out.id = input.id + "/" + step->id + "/" + std::to_string(i);
        done.next.push_back({item.flowId, item.executionId, target->id, nlohmann::json(out).dump()});
    }
    ++metrics_.stepsCompleted;
    const bool ends = done.next.empty();
    if (ends) ++metrics_.branchesEnded;
    return {std::move(done), std::move(context.pendingReply()), ends && !input.attachments.empty()};
}

}  // namespace flowgate::runtime
