// Workers: lease work items from the queue, run each through its flow's step and settle
// the whole batch in one transaction (next items stored and own items acknowledged
// together, so a crash re-runs only the steps that were in flight).
#pragma once

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include <Poco/Logger.h>

#include "config/engine_config.hpp"
#include "flow/flow_catalog.hpp"
#include "queue/queue.hpp"
#include "runtime/runtime_metrics.hpp"

namespace flowgate::runtime {

class WorkerPool {
public:
    // `queue`, `flows` and `metrics` must outlive the pool.
    WorkerPool(queue::Queue& queue, const flow::FlowCatalog& flows, config::WorkerSettings settings,
               RuntimeMetrics& metrics);
    ~WorkerPool();

    void start();
    // Graceful: each worker finishes the step it is running, settles its batch (items it
    // had leased but not started are released at once) and exits. Closes the queue for
    // take(). Idempotent; called from one thread.
    void stop();

    // Runs one leased item and says what became of it. Public for tests of step semantics.
    queue::Outcome process(const queue::WorkItem& item);

private:
    void run();

    queue::Queue& queue_;
    const flow::FlowCatalog& flows_;
    config::WorkerSettings settings_;
    RuntimeMetrics& metrics_;
    Poco::Logger& logger_;
    std::atomic<bool> stopping_{false};
    std::vector<std::thread> threads_;
};

}  // namespace flowgate::runtime
