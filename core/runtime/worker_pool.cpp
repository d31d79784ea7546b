#include "runtime/worker_pool.hpp"

#include <pthread.h>

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

#include "flow/resume_url.hpp"
#include "flowgate/common/utf8.hpp"
#include "flowgate/resume.hpp"
#include "log/log_fields.hpp"
#include "runtime/failed_attempt.hpp"
#include "runtime/step_chain.hpp"
#include "runtime/stored_message.hpp"
#include "runtime/work_item_context.hpp"

namespace flowgate::runtime {

using queue::Outcome;
using queue::WorkItem;

namespace {

// How long a worker waits before offering an outcome the store refused again.
constexpr std::chrono::seconds kSettleRetryDelay{1};

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

// A step asked to wait: park the item with meta.wait telling a later run (after the
// timeout) that it has waited already.
std::optional<Outcome> parkOutcome(const WorkItem& item, Message input,
                                   std::chrono::milliseconds timeout) {
    // The Webhooks Service put the execution's resume URL in meta.resumeUrl.
    const auto url = input.meta.find("resumeUrl");  // end() too if meta is not an object
    if (url == input.meta.end() || !url->is_string()) return std::nullopt;
    const auto resumeUrl = flow::parseResumeUrl(url->get_ref<const std::string&>());
    if (!resumeUrl) return std::nullopt;
    const auto now = std::chrono::system_clock::now();
    if (!input.meta.is_object()) input.meta = nlohmann::json::object();
    input.meta.erase("resume");
    input.meta["wait"] = WaitRecord{item.stepId, isoTime(now), isoTime(now + timeout)};
    Outcome park = outcomeFor(item, Outcome::Kind::wait);
    park.delay = timeout;
    park.waitToken = resumeUrl->token;
    park.message = nlohmann::json(input).dump();
    return park;
}

}  // namespace

WorkerPool::WorkerPool(WorkSource& source, RunningStep& steps, const flow::FlowCatalog& flows,
                       reply::ReplyChannel& replies, attachments::AttachmentStore& attachments,
                       config::WorkerSettings settings, nlohmann::json engineSettings)
    : source_(source),
      steps_(steps),
      flows_(flows),
      replies_(replies),
      attachments_(attachments),
      settings_(settings),
      engineSettings_(std::move(engineSettings)),
      logger_(Poco::Logger::get("flowgate.worker")) {}

WorkerPool::~WorkerPool() {
    stop();
}

void WorkerPool::start() {
    thread_ = std::thread([this] { run(); });
}

void WorkerPool::stop() {
    if (stopping_.exchange(true)) return;
    source_.close();
    if (thread_.joinable()) thread_.join();
}

void WorkerPool::run() {
    pthread_setname_np(pthread_self(), "fg-worker");  // for top -H and profiles
    const auto batch = static_cast<std::size_t>(settings_.batch);
    Ran ran;  // the last batch, settled in the same trip that takes the next
    while (!stopping_) {
        std::vector<WorkItem> items;
        if (!ran.outcomes.empty()) {
            try {
                // One trip and one commit for both, instead of one each.
                items = source_.settleAndTake(ran.outcomes, batch);
            } catch (const std::exception& e) {
                logger_.error("cannot settle %z work items, trying again: %s",
                              ran.outcomes.size(), std::string(e.what()));
                // Nothing of it was applied: settle alone until the store takes it.
                if (!settle(std::move(ran.outcomes))) return;
            }
            afterSettle(ran);
            ran = Ran{};
        } else {
            try {
                items = source_.take(batch, std::chrono::seconds(1));
            } catch (const std::exception& e) {
                // The store refused (disk full) or the intake is going away: nothing was
                // leased, so wait and ask again.
                logger_.warning("cannot take work items: %s", std::string(e.what()));
                std::this_thread::sleep_for(kSettleRetryDelay);
                continue;
            }
        }
        if (!items.empty()) ran = runBatch(items);
    }
    if (!ran.outcomes.empty() && settle(std::move(ran.outcomes))) afterSettle(ran);
}

WorkerPool::Ran WorkerPool::runBatch(const std::vector<WorkItem>& items) {
    Ran ran;
    ran.outcomes.reserve(items.size());
    for (const auto& item : items) {
        if (stopping_) {
            ran.outcomes.push_back(outcomeFor(item, Outcome::Kind::release));
            continue;
        }
        Processed processed = process(item);
        ran.outcomes.push_back(std::move(processed.outcome));
        if (processed.reply) ran.replies.emplace_back(item.executionId, std::move(*processed.reply));
        if (processed.endsBranchWithAttachments) ran.endedWithAttachments.push_back(item.executionId);
    }
    // Settling and waiting for work take no deadline.
    steps_.idle();
    return ran;
}

void WorkerPool::afterSettle(Ran& ran) {
    for (auto& [executionId, reply] : ran.replies) {
        try {
            replies_.deliver(executionId, std::move(reply));
        } catch (const std::exception& e) {
            logger_.error("execution %s: cannot deliver its reply: %s", executionId,
                          std::string(e.what()));
        }
    }
    for (const auto& executionId : ran.endedWithAttachments) releaseAttachments(executionId);
}

bool WorkerPool::settle(std::vector<Outcome> outcomes) {
    for (;;) {
        try {
            source_.settle(outcomes);
            return true;
        } catch (const std::exception& e) {
            logger_.error("cannot settle %z work items, trying again: %s", outcomes.size(),
                          std::string(e.what()));
        }
        if (stopping_) return false;
        std::this_thread::sleep_for(kSettleRetryDelay);
    }
}

void WorkerPool::releaseAttachments(const std::string& executionId) {
    try {
        if (!source_.hasPending(executionId)) attachments_.removeExecution(executionId);
    } catch (const std::exception& e) {
        logger_.error("execution %s: cannot remove its attachments: %s", executionId,
                      std::string(e.what()));
    }
}

WorkerPool::Processed WorkerPool::process(const WorkItem& item) {
    StepTiming timing;
    Processed processed;
    try {
        processed = processStep(item, timing);
    } catch (const std::exception& e) {
        // A failed attempt like any other: retried with backoff, then dead-lettered.
        const auto flow = flows_.findEnabled(item.flowId);
        processed = failAttempt(item, flow.get(),
                                std::string("engine error while running the step: ") + e.what(),
                                /*permanent=*/false);
    }
    if (timing.start)
        processed.outcome.durationUs = std::chrono::duration_cast<std::chrono::microseconds>(
                                           timing.end.value_or(RunningStep::Clock::now()) -
                                           *timing.start)
                                           .count();
    return processed;
}

WorkerPool::Processed WorkerPool::failAttempt(const WorkItem& item, const flow::Flow* flow,
                                              const std::string& reason, bool permanent) {
    const config::RetryPolicy policy = flow ? flow->retry : config::RetryPolicy{};
    std::string error = common::replaceInvalidUtf8(reason);
    Outcome outcome = permanent ? permanentFailure(item, std::move(error))
                                : failedAttempt(item, policy, std::move(error));
    const std::string what = permanent ? describePermanentFailure(item, policy)
                                       : describeFailedAttempt(item, policy, outcome);
    log::logWith(logger_, Poco::Message::PRIO_WARNING,
                 "flow " + item.flowId + " step " + item.stepId + " requestId " + item.executionId +
                     ": " + what + ": " + outcome.error,
                 {item.flowId, item.stepId, item.executionId, item.failedAttempts + 1});
    std::optional<HttpReply> reply;
    if (flow && outcome.kind == Outcome::Kind::deadLetter)
        reply = failureReply(*flow, "step '" + item.stepId + "' failed after " +
                                        std::to_string(item.failedAttempts + 1) + " attempt(s)");
    return {std::move(outcome), std::move(reply), false};
}

WorkerPool::Processed WorkerPool::processStep(const WorkItem& item, StepTiming& timing) {
    Message input;
    try {
        input = readStoredMessage(item.message);
    } catch (const std::exception& e) {
        Outcome dead = outcomeFor(item, Outcome::Kind::deadLetter);
        dead.error = std::string("stored message is not readable: ") + e.what();
        return {dead, std::nullopt, false};
    }

    auto flow = flows_.findEnabled(item.flowId);
    if (!flow) {
        Outcome wait = outcomeFor(item, Outcome::Kind::release);
        wait.delay = kMissingFlowDelay;
        return {wait, std::nullopt, false};
    }
    const flow::StepDef* step = flow->findStep(item.stepId);
    if (!step || !step->step) {
        Outcome dead = outcomeFor(item, Outcome::Kind::deadLetter);
        dead.error = "flow '" + flow->id + "' has no step '" + item.stepId + "' any more";
        log::logWith(logger_, Poco::Message::PRIO_ERROR, "flow " + flow->id + ": " + dead.error,
                     {flow->id, item.stepId, item.executionId, item.failedAttempts + 1});
        return {dead, failureReply(*flow, dead.error), false};
    }

    const int attempt = item.failedAttempts + 1;
    WorkItemContext context(*flow, *step, input, item.executionId, attempt, engineSettings_,
                            attachments_, logger_);
    timing.start = steps_.started(item, item.stepId, step->timeout.value_or(settings_.stepTimeout));
    StepResult result = step->step->execute(input, context);
    timing.end = RunningStep::Clock::now();

    if (context.retryLaterRequested()) {
        Outcome later = outcomeFor(item, Outcome::Kind::retry);
        later.delay = context.retryDelay();
        later.error = common::replaceInvalidUtf8(context.retryReason());
        return {later, std::nullopt, false};
    }
    if (result.ok && context.waitTimeout()) {
        if (auto park = parkOutcome(item, input, *context.waitTimeout()))
            return {std::move(*park), std::move(context.pendingReply()), false};
        result = {false,
                  "step asked to wait, but its flow's messages have no resume URL "
                  "(the function must declare pausesExecution)"};
    }

    Outcome done = outcomeFor(item, Outcome::Kind::completed);
    std::optional<HttpReply>& reply = context.pendingReply();
    const bool hasAttachments = !input.attachments.empty();  // forward() may move the input
    if (result.ok) {
        const ChainEnvironment environment{steps_,   engineSettings_,       attachments_,
                                           logger_,  settings_.stepTimeout, settings_.chainPureSteps};
        StepChain chain(environment, *flow, item);
        try {
            chain.forward(*step, input, context.emitted());
            done.next = std::move(chain.next());
            done.chained = std::move(chain.runs());
            if (!reply) reply = std::move(chain.reply());
        } catch (const nlohmann::json::exception& e) {
            result = {false, std::string("the step emitted a message that cannot be stored "
                                         "(strings must be UTF-8): ") +
                                 e.what()};
        }
    }
    if (!result.ok) return failAttempt(item, flow.get(), result.error, result.permanent);

    const bool ends = done.next.empty();
    return {std::move(done), std::move(reply), ends && hasAttachments};
}

}  // namespace flowgate::runtime
