#include "engine/worker_supervisor.hpp"

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include "engine/child_process.hpp"
#include "log/log_fields.hpp"
#include "runtime/failed_attempt.hpp"

namespace flowgate::cli {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds kTick{50};
// A worker that dies sooner than this after its start counts as dying young: the next
// restart waits 0.1 s, 0.2 s, ... up to kMaxRestartDelay. One that lived longer restarts
// at once.
constexpr milliseconds kYoung{5000};
constexpr milliseconds kMaxRestartDelay{5000};
// How long a dead worker's connection may take to drain what it sent before dying.
constexpr milliseconds kDrainPatience{2000};

// The step running (a step chained after the leased item's names both: the attempt, its
// retry and its dead letter belong to the leased item).
std::string stepName(const ipc::WorkerLedger::Running& running) {
    const queue::WorkItem& item = running.item;
    std::string name = "step `" + running.step + "` of flow `" + item.flowId + "`";
    if (running.step != item.stepId) name += " (chained after step `" + item.stepId + "`)";
    return name;
}

}  // namespace

std::string formatDuration(milliseconds duration) {
    if (duration.count() % 1000 == 0) return std::to_string(duration.count() / 1000) + " s";
    return std::to_string(duration.count()) + " ms";
}

WorkerSupervisor::WorkerSupervisor(std::vector<std::string> workerArgs, int processes, int nice,
                                   ipc::WorkerLedger& ledger, ipc::QueueService& service,
                                   const flow::FlowCatalog& flows, config::RetryPolicy defaultRetry,
                                   runtime::RuntimeMetrics& metrics)
    : workerArgs_(std::move(workerArgs)),
      nice_(nice),
      ledger_(ledger),
      service_(service),
      flows_(flows),
      defaultRetry_(defaultRetry),
      metrics_(metrics),
      logger_(Poco::Logger::get("flowgate.supervisor")) {
    slots_.resize(static_cast<std::size_t>(processes));
    for (std::size_t i = 0; i < slots_.size(); ++i) slots_[i].number = static_cast<int>(i) + 1;
}

WorkerSupervisor::~WorkerSupervisor() {
    stop(milliseconds(0));
}

void WorkerSupervisor::start() {
    thread_ = std::thread([this] { monitor(); });
}

void WorkerSupervisor::stop(milliseconds grace, milliseconds spent) {
    {
        std::lock_guard lock(mutex_);
        if (stopRequested_) return;
        stopRequested_ = true;
        grace_ = grace;
        spent_ = spent;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void WorkerSupervisor::reload() {
    std::lock_guard lock(mutex_);
    for (const auto& slot : slots_)
        if (slot.pid > 0) ::kill(slot.pid, SIGHUP);
}

// Workers are started from this thread only: PR_SET_PDEATHSIG ties each to the thread that
// forked it, and this one lives until every worker is gone.
void WorkerSupervisor::monitor() {
    pthread_setname_np(pthread_self(), "fg-supervisor");  // for top -H and profiles
    bool stopping = false;
    Clock::time_point killAt;
    bool killed = false;
    for (;;) {
        std::unique_lock lock(mutex_);
        if (stopRequested_ && !stopping) {
            stopping = true;
            killAt = Clock::now() + std::max(grace_ - spent_, milliseconds(0));
            for (const auto& slot : slots_)
                if (slot.pid > 0) ::kill(slot.pid, SIGTERM);
        }
        if (stopping && !killed && Clock::now() >= killAt) {
            killed = true;
            for (auto& slot : slots_) {
                if (slot.pid <= 0) continue;
                if (auto running = ledger_.running(slot.pid))
                    slot.killReason = "the engine stopped and " + stepName(*running) +
                                      " did not finish within the " + formatDuration(grace_) +
                                      " stop grace (stopGraceMs)";
                ::kill(slot.pid, SIGKILL);
            }
        }
        bool alive = false;
        for (auto& slot : slots_) {
            if (slot.pid <= 0) continue;
            slot.output->drain(slot.number, slot.pid, false);
            int status = 0;
            if (::waitpid(slot.pid, &status, WNOHANG) == slot.pid) {
                reap(slot, status);
            } else {
                alive = true;
            }
        }
        if (stopping && !alive) return;
        if (!stopping) {
            enforceDeadlines();
            for (auto& slot : slots_)
                if (slot.pid <= 0 && Clock::now() >= slot.restartAt) spawn(slot);
        }
        wake_.wait_for(lock, kTick);
    }
}

void WorkerSupervisor::spawn(Slot& slot) {
    ipc::StepSlot steps;
    try {
        slot.output = std::make_unique<WorkerOutput>();
        steps = ipc::StepSlot::create();
        std::vector<std::string> args = workerArgs_;
        args.insert(args.end(), {"--step-slot-fd", std::to_string(kSharedFd)});
        slot.pid = spawnSelf(args, slot.output->writeEnd(), nice_, steps.descriptor());
        slot.output->closeWriteEnd();
        steps.closeDescriptor();  // the mapping stays: the ledger reads it
    } catch (const std::exception& e) {
        slot.output.reset();
        logger_.error("cannot start worker %d: %s", slot.number, std::string(e.what()));
        slot.restartAt = Clock::now() + kMaxRestartDelay;
        return;
    }
    ledger_.add(slot.pid, std::move(steps));
    slot.startedAt = Clock::now();
    slot.killReason.clear();
    logger_.information("worker %d started (pid %d)", slot.number, static_cast<int>(slot.pid));
}

void WorkerSupervisor::enforceDeadlines() {
    for (const auto& [pid, running] : ledger_.overdue(Clock::now())) {
        for (auto& slot : slots_) {
            if (slot.pid != pid || !slot.killReason.empty()) continue;
            slot.killReason = stepName(running) + " exceeded its " +
                              formatDuration(running.deadline) + " deadline";
            const queue::WorkItem& item = running.item;
            log::logWith(logger_, Poco::Message::PRIO_ERROR,
                         "worker " + std::to_string(slot.number) + " (pid " + std::to_string(pid) +
                             "): " + slot.killReason + " (requestId " + item.executionId +
                             "): killing the worker",
                         {item.flowId, item.stepId, item.executionId, item.failedAttempts + 1});
            ::kill(pid, SIGKILL);
        }
    }
}

void WorkerSupervisor::reap(Slot& slot, int status) {
    const pid_t pid = slot.pid;
    slot.pid = -1;
    // Its last words (an abort's message) come before the line about its death.
    slot.output->drain(slot.number, pid, true);
    slot.output.reset();
    const std::string exit = describeExit(status);
    const auto remains = ledger_.remove(pid, kDrainPatience);
    std::vector<queue::Outcome> outcomes;
    std::vector<runtime::StepRun> runs;  // the step it died in counts as a failed run
    const std::string who =
        "worker " + std::to_string(slot.number) + " (pid " + std::to_string(pid) + ") " + exit;
    if (remains.running) {
        const queue::WorkItem& item = remains.running->item;
        const std::string cause = slot.killReason.empty()
                                      ? "worker " + exit + " while running " +
                                            stepName(*remains.running)
                                      : slot.killReason;
        const auto flow = flows_.findEnabled(item.flowId);
        const config::RetryPolicy policy = flow ? flow->retry : defaultRetry_;
        outcomes.push_back(runtime::failedAttempt(item, policy, cause));
        runs.push_back({item.flowId, remains.running->step,
                        std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                                      remains.running->since)
                            .count()});
        log::logWith(logger_, Poco::Message::PRIO_ERROR,
                     "worker " + std::to_string(slot.number) + " (pid " + std::to_string(pid) +
                         "): " + cause + " (requestId " + item.executionId +
                         "): " + runtime::describeFailedAttempt(item, policy, outcomes.back()),
                     {item.flowId, item.stepId, item.executionId, item.failedAttempts + 1});
    } else if (!stopRequested_ || status != 0) {
        logger_.warning("%s", who);
    }
    for (const auto& item : remains.unstarted) {
        queue::Outcome release;
        release.itemId = item.id;
        release.leaseToken = item.leaseToken;
        release.kind = queue::Outcome::Kind::release;
        outcomes.push_back(release);
    }
    try {
        service_.settleForWorker(std::move(outcomes), runs);
    } catch (const std::exception& e) {
        logger_.error(
            "%s: cannot settle the items it held, they run again when their lease "
            "ends or at the next start: %s",
            who, std::string(e.what()));
    }
    if (stopRequested_) return;
    const auto lived = Clock::now() - slot.startedAt;
    slot.youngDeaths = lived < kYoung ? slot.youngDeaths + 1 : 0;
    milliseconds delay{0};
    if (slot.youngDeaths > 1)
        delay = std::min(kMaxRestartDelay,
                         milliseconds(100) * (1 << std::min(slot.youngDeaths - 2, 10)));
    slot.restartAt = Clock::now() + delay;
    ++metrics_.workerRestarts;
    logger_.information(
        "restarting worker %d %s", slot.number,
        delay.count() == 0 ? std::string("at once") : "in " + formatDuration(delay));
}

}  // namespace flowgate::cli
