// The intake's supervision of its worker processes: starts `processes` workers, restarts
// one that dies (at once, with growing delays if it keeps dying young), kills one whose
// step passes its deadline, and settles what a dead worker held: the item it was running
// fails its attempt with a cause that names the step, the others are released. What a
// worker prints outside the log is read from a pipe and logged (engine/worker_output.hpp).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Logger.h>

#include "engine/worker_output.hpp"
#include "config/engine_config.hpp"
#include "flow/flow_catalog.hpp"
#include "ipc/queue_service.hpp"
#include "ipc/worker_ledger.hpp"
#include "runtime/runtime_metrics.hpp"

namespace flowgate::cli {

class WorkerSupervisor {
public:
    // `workerArgs`: the command line of a worker (after the executable); workers run `nice`
    // steps nicer than the intake. Everything passed by reference must outlive the supervisor.
    WorkerSupervisor(std::vector<std::string> workerArgs, int processes, int nice,
                     ipc::WorkerLedger& ledger,
                     ipc::QueueService& service, const flow::FlowCatalog& flows,
                     config::RetryPolicy defaultRetry, runtime::RuntimeMetrics& metrics);
    ~WorkerSupervisor();  // stop() with no grace if still running

    void start();
    // Sends SIGTERM to every worker (each finishes its step, settles, releases the rest
    // and exits), waits until `grace` has passed since the stop began (`spent` ago), then
    // kills those left; returns once all are gone and what they held is settled.
    // Idempotent.
    void stop(std::chrono::milliseconds grace,
              std::chrono::milliseconds spent = std::chrono::milliseconds(0));
    // SIGHUP to every worker: reload plugins, flows and credentials now.
    void reload();

private:
    struct Slot {
        int number = 0;
        pid_t pid = -1;
        std::chrono::steady_clock::time_point startedAt;
        std::chrono::steady_clock::time_point restartAt;
        int youngDeaths = 0;
        std::string killReason;  // set when we kill it: what the failed attempt says
        std::unique_ptr<WorkerOutput> output;  // its stdout and stderr
    };

    void monitor();
    void spawn(Slot& slot);
    void reap(Slot& slot, int status);
    void enforceDeadlines();

    const std::vector<std::string> workerArgs_;
    const int nice_;
    ipc::WorkerLedger& ledger_;
    ipc::QueueService& service_;
    const flow::FlowCatalog& flows_;
    const config::RetryPolicy defaultRetry_;
    runtime::RuntimeMetrics& metrics_;
    Poco::Logger& logger_;

    std::mutex mutex_;  // slots_ and the stop request
    std::condition_variable wake_;
    std::vector<Slot> slots_;
    bool stopRequested_ = false;
    std::chrono::milliseconds grace_{0};
    std::chrono::milliseconds spent_{0};
    std::thread thread_;
};

// "30 s" for whole seconds, "1500 ms" otherwise.
std::string formatDuration(std::chrono::milliseconds duration);

}  // namespace flowgate::cli
