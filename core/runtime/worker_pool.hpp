// Workers: lease work items from the queue, run each through its flow's step and settle
// the whole batch in one transaction (next items stored and own items acknowledged
// together, so a crash re-runs only the steps that were in flight).
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include <Poco/Logger.h>

#include "attachments/attachment_store.hpp"
#include "config/engine_config.hpp"
#include "flow/flow_catalog.hpp"
#include "queue/queue.hpp"
#include "reply/reply_channel.hpp"
#include "runtime/runtime_metrics.hpp"

namespace flowgate::runtime {

class WorkerPool {
public:
    // `queue`, `flows`, `replies` and `metrics` must outlive the pool. `engineSettings` is
    // what steps see through StepContext::engineSettings().
    WorkerPool(queue::Queue& queue, const flow::FlowCatalog& flows, reply::ReplyChannel& replies,
               attachments::AttachmentStore& attachments, config::WorkerSettings settings,
               nlohmann::json engineSettings, RuntimeMetrics& metrics);
    ~WorkerPool();

    void start();
    // Graceful: each worker finishes the step it is running, settles its batch (items it
    // had leased but not started are released at once) and exits. Closes the queue for
    // take(). Idempotent; called from one thread.
    void stop();

    struct Processed {
        queue::Outcome outcome;
        std::optional<HttpReply> reply;  // for a sync flow's caller, sent after settling
        bool endsBranchWithAttachments = false;  // maybe the execution's last step
    };
    // Runs one leased item and says what became of it. Public for tests of step semantics.
    Processed process(const queue::WorkItem& item);

private:
    void run();
    // Removes the attachments of an execution once none of its work items is left.
    void releaseAttachments(const std::string& executionId);

    queue::Queue& queue_;
    const flow::FlowCatalog& flows_;
    reply::ReplyChannel& replies_;
    attachments::AttachmentStore& attachments_;
    config::WorkerSettings settings_;
    nlohmann::json engineSettings_;
    RuntimeMetrics& metrics_;
    Poco::Logger& logger_;
    std::atomic<bool> stopping_{false};
    std::vector<std::thread> threads_;
};

}  // namespace flowgate::runtime
