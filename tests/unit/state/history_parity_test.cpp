// The admin API shows the same history in both modes: the embedded SqliteQueue and the
// shared state are driven through the same events (the SQLite side by take/settle, the
// shared state as the broker side would call it), and after every event the execution's
// status and its attempts, as the admin API shows them, must be equal.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "queue/queue_admin.hpp"
#include "queue/sqlite_queue.hpp"
#include "support/temp_dir.hpp"
#include "unit/state/state_test_support.hpp"

using namespace std::chrono_literals;
using flowgate::queue::NewWorkItem;
using flowgate::queue::Outcome;
using flowgate::queue::SqliteQueue;
using flowgate::queue::SqliteQueueOptions;
using flowgate::queue::WorkItem;
using flowgate::state::ItemRef;
using flowgate::state::Settlement;
using flowgate::test::freshState;

namespace {

// One execution in both stores. Items are named by their step (one pending item per step
// at a time in these scenarios).
class Both {
public:
    explicit Both(const std::filesystem::path& dir) : sqlite_(optionsFor(dir)), state_(freshState()) {}

    void receive(const std::string& e) {
        sqlite_.enqueue({NewWorkItem{"flow-a", e, "s1", "{}"}});
        auto r = flowgate::test::receivedOf(e);
        state_->received(r);
        pending_[e + "/s1"] = {r.items[0], 0};
    }

    // Runs step `step` of `e` and settles it with `kind` (and `nextSteps` when completed).
    void run(const std::string& e, const std::string& step, Outcome::Kind kind,
             std::vector<std::string> nextSteps = {}, bool failed = false) {
        // SQLite: the scenarios keep one ready item at a time, so it is the one meant.
        auto taken = sqlite_.take(10, 30s, 0ms);
        REQUIRE(taken.size() == 1);
        REQUIRE(taken[0].stepId == step);
        Outcome o;
        o.itemId = taken[0].id;
        o.leaseToken = taken[0].leaseToken;
        o.kind = kind;
        o.failed = failed;
        o.error = failed ? "boom" : "";
        o.message = "{}";
        o.waitToken = "t";
        o.delay = kind == Outcome::Kind::wait ? 1h : 0ms;
        for (const auto& s : nextSteps) o.next.push_back(NewWorkItem{"flow-a", e, s, "{}"});
        sqlite_.settle({o});

        // The shared state, as the broker side calls it.
        auto& [item, failedAttempts] = pending_.at(e + "/" + step);
        Settlement s;
        s.item = item;
        s.attempt = failedAttempts + 1;
        s.failed = failed;
        s.error = o.error;
        s.message = "{}";
        s.waitToken = "t";
        s.delay = o.delay;
        const ItemRef settled = item;
        const int attempt = s.attempt;
        pending_.erase(e + "/" + step);
        switch (kind) {
        case Outcome::Kind::completed:
            s.kind = Settlement::Kind::completed;
            for (const auto& next : nextSteps) {
                ItemRef ref{settled.itemId + "." + next, "flow-a", e, next};
                s.next.push_back(ref);
                pending_[e + "/" + next] = {ref, 0};
            }
            break;
        case Outcome::Kind::retry:
        case Outcome::Kind::release:
            s.kind = kind == Outcome::Kind::retry ? Settlement::Kind::retry : Settlement::Kind::release;
            s.successorId = settled.itemId + "+";
            pending_[e + "/" + step] = {ItemRef{s.successorId, "flow-a", e, step},
                                        kind == Outcome::Kind::retry && failed ? attempt : attempt - 1};
            break;
        case Outcome::Kind::deadLetter: s.kind = Settlement::Kind::deadLetter; break;
        case Outcome::Kind::wait: s.kind = Settlement::Kind::wait; break;
        }
        state_->settle({s});
    }

    void resume(const std::string& e) {
        const auto parked = sqlite_.waiting(e);
        REQUIRE(parked.size() == 1);
        REQUIRE(sqlite_.resume(parked[0].id, "t", "{}"));
        const auto waits = state_->waiting(e);
        REQUIRE(waits.size() == 1);
        const auto publish = state_->resume(waits[0].id, "t", "{}");
        REQUIRE(publish);
        state_->published({publish->item.itemId});
        pending_[e + "/" + publish->item.stepId] = {publish->item, publish->failedAttempts};
    }

    void replay(const std::string& e) {
        const auto sqliteLetters = sqlite_.admin()->deadLetterPage({});
        REQUIRE(sqliteLetters.items.size() == 1);
        REQUIRE(sqlite_.admin()->replayDeadLetter(sqliteLetters.items[0].id) == e);
        const auto publish = state_->replayDeadLetter(state_->deadLetters(10).at(0).id);
        REQUIRE(publish.size() == 1);
        state_->published({publish[0].item.itemId});
        pending_[e + "/" + publish[0].item.stepId] = {publish[0].item, publish[0].failedAttempts};
    }

    // The execution as the admin API shows it, from each store: status, then one line
    // per attempt (times aside, which differ by design).
    static std::vector<std::string> shown(flowgate::queue::ExecutionHistory& history,
                                          const std::string& e) {
        const auto detail = history.execution(e);
        if (!detail) return {"(none)"};
        std::vector<std::string> out{detail->execution.status, detail->execution.flowId};
        for (const auto& a : detail->attempts)
            out.push_back(a.stepId + ":" + std::to_string(a.attempt) + ":" + a.outcome + ":" + a.error);
        return out;
    }

    void checkSame(const std::string& e) {
        INFO("execution " << e);
        CHECK(shown(*sqlite_.history(), e) == shown(*state_, e));
        CHECK(sqlite_.hasPending(e) == state_->hasPending(e));
    }

private:
    static SqliteQueueOptions optionsFor(const std::filesystem::path& dir) {
        SqliteQueueOptions options;
        options.dataDir = dir;
        return options;
    }

    SqliteQueue sqlite_;
    std::unique_ptr<flowgate::state::SharedState> state_;
    std::map<std::string, std::pair<ItemRef, int>> pending_;  // "exec/step" -> item, failedAttempts
};

}  // namespace

TEST_CASE("history parity: retries, a wait and its resume, a dead letter and its replay, a "
          "release show the same in both modes",
          "[state][postgres][parity]") {
    flowgate::test::TempDir dir;
    Both both(dir.path());

    both.receive("e1");
    both.checkSame("e1");
    both.run("e1", "s1", Outcome::Kind::retry, {}, true);  // failed: counted
    both.checkSame("e1");
    both.run("e1", "s1", Outcome::Kind::retry, {}, false);  // retryLater: given back
    both.checkSame("e1");
    both.run("e1", "s1", Outcome::Kind::completed, {"approve"});
    both.checkSame("e1");
    both.run("e1", "approve", Outcome::Kind::wait);
    both.checkSame("e1");
    both.resume("e1");
    both.checkSame("e1");
    both.run("e1", "approve", Outcome::Kind::completed);
    both.checkSame("e1");

    both.receive("e2");
    both.run("e2", "s1", Outcome::Kind::retry, {}, true);
    both.run("e2", "s1", Outcome::Kind::deadLetter, {}, true);
    both.checkSame("e2");
    both.replay("e2");
    both.checkSame("e2");
    both.run("e2", "s1", Outcome::Kind::release);
    both.checkSame("e2");
    both.run("e2", "s1", Outcome::Kind::completed, {"s2"});
    both.checkSame("e2");
    both.run("e2", "s2", Outcome::Kind::completed);
    both.checkSame("e2");
}
