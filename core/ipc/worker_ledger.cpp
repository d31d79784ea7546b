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

void WorkerLedger::leased(pid_t pid, const std::vector<queue::WorkItem>& items) {
    std::lock_guard lock(mutex_);
    auto it = workers_.find(pid);
    if (it == workers_.end()) return;
    for (const auto& item : items) {
        queue::WorkItem kept = item;
        kept.message.clear();  // the ledger names items; it never runs them
        it->second.held[item.id] = std::move(kept);
    }
}

void WorkerLedger::started(pid_t pid, std::int64_t itemId, std::uint64_t leaseToken,
                           std::chrono::milliseconds deadline) {
    std::lock_guard lock(mutex_);
    auto it = workers_.find(pid);
    if (it == workers_.end()) return;
    auto held = it->second.held.find(itemId);
    if (held == it->second.held.end() || held->second.leaseToken != leaseToken) return;
    it->second.running = Running{held->second, Clock::now(), deadline};
}

void WorkerLedger::idle(pid_t pid) {
    std::lock_guard lock(mutex_);
    auto it = workers_.find(pid);
    if (it != workers_.end()) it->second.running.reset();
}

void WorkerLedger::settled(pid_t pid, const std::vector<queue::Outcome>& outcomes) {
    std::lock_guard lock(mutex_);
    auto it = workers_.find(pid);
    if (it == workers_.end()) return;
    Worker& worker = it->second;
    for (const auto& outcome : outcomes) {
        worker.held.erase(outcome.itemId);
        if (worker.running && worker.running->item.id == outcome.itemId) worker.running.reset();
    }
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
