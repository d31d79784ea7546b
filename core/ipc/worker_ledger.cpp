#include "ipc/worker_ledger.hpp"

namespace flowgate::ipc {

void WorkerLedger::add(pid_t pid) {
    std::lock_guard lock(mutex_);
    workers_[pid] = Worker{};
}

bool WorkerLedger::attach(pid_t pid) {
    std::lock_guard lock(mutex_);
    auto it = workers_.find(pid);
    if (it == workers_.end()) return false;
    ++it->second.connections;
    return true;
}

void WorkerLedger::detach(pid_t pid) {
    {
        std::lock_guard lock(mutex_);
        auto it = workers_.find(pid);
        if (it != workers_.end()) --it->second.connections;
    }
    detached_.notify_all();
}

void WorkerLedger::leased(pid_t pid, std::vector<queue::WorkItem> items) {
    std::lock_guard lock(mutex_);
    auto it = workers_.find(pid);
    if (it == workers_.end()) return;
    for (auto& item : items) {
        item.message.clear();  // the ledger names items; it never runs them
        const std::int64_t id = item.id;
        it->second.held[id] = std::move(item);
    }
}

void WorkerLedger::started(pid_t pid, std::int64_t itemId, std::uint64_t leaseToken,
                           std::chrono::milliseconds deadline, const std::string& step) {
    std::lock_guard lock(mutex_);
    auto it = workers_.find(pid);
    if (it == workers_.end()) return;
    auto held = it->second.held.find(itemId);
    if (held == it->second.held.end() || held->second.leaseToken != leaseToken) return;
    const auto now = Clock::now();
    auto& running = it->second.running;
    if (running) it->second.ran.try_emplace(running->item.id, now - running->since);
    running = Running{held->second, step.empty() ? held->second.stepId : step, now, deadline};
}

void WorkerLedger::idle(pid_t pid) {
    std::lock_guard lock(mutex_);
    auto it = workers_.find(pid);
    if (it == workers_.end()) return;
    auto& running = it->second.running;
    if (running) it->second.ran.try_emplace(running->item.id, Clock::now() - running->since);
    running.reset();
}

std::vector<runtime::StepRun> WorkerLedger::settled(pid_t pid,
                                                    const std::vector<queue::Outcome>& outcomes) {
    std::vector<runtime::StepRun> runs(outcomes.size());
    std::lock_guard lock(mutex_);
    auto it = workers_.find(pid);
    if (it == workers_.end()) return runs;
    Worker& worker = it->second;
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        const auto id = outcomes[i].itemId;
        if (auto held = worker.held.find(id); held != worker.held.end()) {
            runs[i].flow = held->second.flowId;
            runs[i].step = held->second.stepId;
            worker.held.erase(held);
        }
        if (auto ran = worker.ran.find(id); ran != worker.ran.end()) {
            runs[i].seconds = std::chrono::duration<double>(ran->second).count();
            worker.ran.erase(ran);
        }
        if (worker.running && worker.running->item.id == id) worker.running.reset();
    }
    return runs;
}

std::vector<pid_t> WorkerLedger::pids() const {
    std::vector<pid_t> pids;
    std::lock_guard lock(mutex_);
    for (const auto& [pid, worker] : workers_) pids.push_back(pid);
    return pids;
}

std::optional<WorkerLedger::Running> WorkerLedger::running(pid_t pid) const {
    std::lock_guard lock(mutex_);
    auto it = workers_.find(pid);
    if (it == workers_.end()) return std::nullopt;
    return it->second.running;
}

std::vector<std::pair<pid_t, WorkerLedger::Running>> WorkerLedger::overdue(
    Clock::time_point now) const {
    std::vector<std::pair<pid_t, Running>> late;
    std::lock_guard lock(mutex_);
    for (const auto& [pid, worker] : workers_) {
        // A worker runs its batch in order: the step it started last is the one running,
        // unless it was settled since.
        if (worker.running && now - worker.running->since > worker.running->deadline)
            late.emplace_back(pid, *worker.running);
    }
    return late;
}

WorkerLedger::Remains WorkerLedger::remove(pid_t pid, std::chrono::milliseconds patience) {
    std::unique_lock lock(mutex_);
    detached_.wait_for(lock, patience, [&] {
        auto it = workers_.find(pid);
        return it == workers_.end() || it->second.connections <= 0;
    });
    Remains remains;
    auto it = workers_.find(pid);
    if (it == workers_.end()) return remains;
    Worker& worker = it->second;
    if (worker.running) {
        remains.running = worker.running;
        worker.held.erase(worker.running->item.id);
    }
    for (auto& [id, item] : worker.held) remains.unstarted.push_back(std::move(item));
    workers_.erase(it);
    return remains;
}

}  // namespace flowgate::ipc
