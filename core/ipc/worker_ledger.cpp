#include "ipc/worker_ledger.hpp"

namespace flowgate::ipc {

void WorkerLedger::add(pid_t pid, StepSlot slot) {
    std::lock_guard lock(mutex_);
    workers_[pid] = Worker{0, {}, std::move(slot)};
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
        if (outcomes[i].durationUs >= 0)
            runs[i].seconds = static_cast<double>(outcomes[i].durationUs) / 1e6;
    }
    return runs;
}

std::vector<pid_t> WorkerLedger::pids() const {
    std::vector<pid_t> pids;
    std::lock_guard lock(mutex_);
    for (const auto& [pid, worker] : workers_) pids.push_back(pid);
    return pids;
}

std::optional<WorkerLedger::Running> WorkerLedger::running(
    const Worker& worker, const std::optional<StepSlot::Entry>& entry) {
    if (!entry || !entry->running) return std::nullopt;
    auto held = worker.held.find(entry->itemId);
    if (held == worker.held.end() || held->second.leaseToken != entry->leaseToken)
        return std::nullopt;
    return Running{held->second, entry->step.empty() ? held->second.stepId : entry->step,
                   entry->since, entry->deadline};
}

std::optional<WorkerLedger::Running> WorkerLedger::running(pid_t pid) const {
    std::lock_guard lock(mutex_);
    auto it = workers_.find(pid);
    if (it == workers_.end()) return std::nullopt;
    return running(it->second, it->second.slot.read());
}

std::vector<std::pair<pid_t, WorkerLedger::Running>> WorkerLedger::overdue(
    Clock::time_point now) const {
    std::vector<std::pair<pid_t, Running>> late;
    std::lock_guard lock(mutex_);
    for (const auto& [pid, worker] : workers_) {
        // A slot that is being written right now (read() gave up) is a step starting: not
        // late; the next look sees it.
        const auto step = running(worker, worker.slot.read());
        if (step && now - step->since > step->deadline) late.emplace_back(pid, *step);
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
    // The worker is dead: its last write stays as it left it. A torn one (it died while
    // writing, between two steps) names no item; the ledger's leased items are then all
    // unstarted and released, as no step of theirs was running. Charging a guess (the
    // item of a half-written id) could fail an item that never ran.
    remains.running = running(worker, worker.slot.readLeftover());
    if (remains.running) worker.held.erase(remains.running->item.id);
    for (auto& [id, item] : worker.held) remains.unstarted.push_back(std::move(item));
    workers_.erase(it);
    return remains;
}

}  // namespace flowgate::ipc
