// A worker: leases work items, runs each through its flow's step, and settles the whole
// batch in one transaction (next items stored and own items acknowledged together, so a
// crash re-runs only the steps that were in flight), which also leases the next batch.
//
// One thread, one step at a time: a worker process that dies or passes a step's deadline
// then names exactly one step, and costs exactly one attempt (of the leased item, also when
// the step was chained after the item's own: runtime/step_chain.hpp).
#pragma once

#include <atomic>
#include <optional>
#include <thread>

#include <Poco/Logger.h>

#include "attachments/attachment_store.hpp"
#include "config/engine_config.hpp"
#include "flow/flow_catalog.hpp"
#include "queue/queue.hpp"
#include "reply/reply_channel.hpp"
#include "runtime/running_step.hpp"
#include "runtime/work_source.hpp"

namespace flowgate::runtime {

class WorkerPool {
public:
    // `source`, `steps`, `flows`, `replies` and `attachments` must outlive the pool.
    // `engineSettings` is what steps see through StepContext::engineSettings().
    WorkerPool(WorkSource& source, RunningStep& steps, const flow::FlowCatalog& flows,
               reply::ReplyChannel& replies,
               attachments::AttachmentStore& attachments, config::WorkerSettings settings,
               nlohmann::json engineSettings);
    ~WorkerPool();

    void start();
    // Graceful: the step running finishes, the batch is settled (items leased but not
    // started are released) and the thread exits. Idempotent; called from one thread.
    void stop();

    struct Processed {
        queue::Outcome outcome;
        std::optional<HttpReply> reply;          // for a sync flow's caller, sent after settling
        bool endsBranchWithAttachments = false;  // maybe the execution's last step
    };
    // Runs one leased item and says what became of it; never throws. Public for tests of
    // step semantics.
    Processed process(const queue::WorkItem& item);

private:
    // A batch run but not yet settled, and what is owed once it is.
    struct Ran {
        std::vector<queue::Outcome> outcomes;
        std::vector<std::pair<std::string, HttpReply>> replies;  // sent after settling
        std::vector<std::string> endedWithAttachments;
    };

    void run();
    Ran runBatch(const std::vector<queue::WorkItem>& items);
    // Sends the replies and releases the attachments of a batch that is settled.
    void afterSettle(Ran& ran);
    // Settles until the store takes it, or until stop(): the items stay leased meanwhile,
    // and the intake releases whatever this worker still holds when it exits.
    bool settle(std::vector<queue::Outcome> outcomes);
    // When the item's own step started and ended (metrics: Outcome::durationUs).
    struct StepTiming {
        std::optional<RunningStep::Clock::time_point> start;
        std::optional<RunningStep::Clock::time_point> end;  // unset: it threw
    };
    Processed processStep(const queue::WorkItem& item, StepTiming& timing);
    // A failed attempt: retried after the flow's backoff, dead-lettered after its last.
    Processed failAttempt(const queue::WorkItem& item, const flow::Flow* flow,
                          const std::string& reason,
                          bool permanent);
    // Removes the attachments of an execution once none of its work items is left.
    void releaseAttachments(const std::string& executionId);

    WorkSource& source_;
    RunningStep& steps_;
    const flow::FlowCatalog& flows_;
    reply::ReplyChannel& replies_;
    attachments::AttachmentStore& attachments_;
    config::WorkerSettings settings_;
    nlohmann::json engineSettings_;
    Poco::Logger& logger_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace flowgate::runtime
