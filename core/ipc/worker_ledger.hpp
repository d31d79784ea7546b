// What each worker process holds, as the intake sees it: the items it leased over the
// worker link and not yet settled, and, from its step slot (ipc/step_slot.hpp), the one
// whose step it runs now, since when and until when. When a worker dies, this says which
// item it killed and which it only held.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "ipc/step_slot.hpp"
#include "queue/queue.hpp"
#include "runtime/runtime_metrics.hpp"

namespace flowgate::ipc {

// Thread-safe.
class WorkerLedger {
public:
    using Clock = std::chrono::steady_clock;

    struct Running {
        queue::WorkItem item;  // without its message
        std::string step;      // the step running: item.stepId or one chained after it
        Clock::time_point since;
        std::chrono::milliseconds deadline{0};
    };
    // What a worker that is gone still held.
    struct Remains {
        std::optional<Running> running;
        std::vector<queue::WorkItem> unstarted;  // leased, not started (or run, not settled)
    };

    // A worker process was started with step slot `slot` (none: it never runs a step, as
    // far as the ledger knows): its connections are accepted from now on.
    void add(pid_t pid, StepSlot slot = {});
    // A connection from `pid` opened; false if `pid` is not a worker this intake started.
    bool attach(pid_t pid);
    void detach(pid_t pid);

    void leased(pid_t pid, std::vector<queue::WorkItem> items);
    // Forgets the settled items; returns, per outcome, its step and how long it ran (as the
    // worker measured it, Outcome::durationUs).
    std::vector<runtime::StepRun> settled(pid_t pid, const std::vector<queue::Outcome>& outcomes);

    // The step `pid` runs now, if any.
    std::optional<Running> running(pid_t pid) const;
    // Every worker process this intake started and has not removed.
    std::vector<pid_t> pids() const;
    // Workers whose running step is past its deadline.
    std::vector<std::pair<pid_t, Running>> overdue(Clock::time_point now) const;

    // Forgets `pid`, which has exited, and returns what it held. First waits (up to
    // `patience`) for its connections to close, so that everything it sent before dying
    // has been applied. A worker that died while writing its slot ran no step at that
    // moment (it writes between steps): if the write was torn, every item is unstarted.
    Remains remove(pid_t pid, std::chrono::milliseconds patience);

private:
    struct Worker {
        int connections = 0;
        std::map<std::int64_t, queue::WorkItem> held;  // by item id
        StepSlot slot;
    };

    // The step `entry` says runs, if it names an item `worker` holds under the same lease
    // (a stale entry, of an item settled or leased anew since, names nothing).
    static std::optional<Running> running(const Worker& worker,
                                          const std::optional<StepSlot::Entry>& entry);

    mutable std::mutex mutex_;
    std::condition_variable detached_;
    std::map<pid_t, Worker> workers_;
};

}  // namespace flowgate::ipc
