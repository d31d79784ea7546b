// Parked waits in the shared state: resume wins once, timeouts and lost publishers are
// handed out again by claimDue().
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "unit/state/state_test_support.hpp"

using namespace std::chrono_literals;
using flowgate::state::Settlement;
using flowgate::state::SettleResult;
using flowgate::test::attemptsOf;
using flowgate::test::freshState;
using flowgate::test::itemRef;
using flowgate::test::PostgresServer;
using flowgate::test::receivedOf;
using flowgate::test::settlement;
using flowgate::test::stateOptions;
using flowgate::test::statusOf;

namespace {

Settlement park(const std::string& item, const std::string& execution, const std::string& token,
                std::chrono::milliseconds timeout) {
    auto s = settlement(itemRef(item, execution, "approve"), Settlement::Kind::wait, 1);
    s.message = R"({"body":{"waiting":true}})";
    s.waitToken = token;
    s.delay = timeout;
    return s;
}

// Receives execution `e` and completes its first step with one output at step
// "approve", which the tests then park: `<e>.a`.
void toApprove(flowgate::state::SharedState& state, const std::string& e) {
    state.received(receivedOf(e));
    auto first = settlement(itemRef(e + ".0", e), Settlement::Kind::completed);
    first.next = {itemRef(e + ".a", e, "approve")};
    state.settle({first});
}

}  // namespace

TEST_CASE("waits: a parked item is listed, resumed once, and published", "[state][postgres][wait]") {
    auto state = freshState();
    toApprove(*state, "e1");
    state->settle({park("e1.a", "e1", "token-1", 1h)});
    CHECK(statusOf(*state, "e1") == "waiting");
    CHECK(state->hasPending("e1"));
    CHECK(state->stats().waiting == 1);

    const auto waiting = state->waiting("e1");
    REQUIRE(waiting.size() == 1);
    CHECK(waiting[0].flowId == "flow-a");
    CHECK(waiting[0].stepId == "approve");
    CHECK(waiting[0].waitToken == "token-1");
    CHECK(waiting[0].message == R"({"body":{"waiting":true}})");

    CHECK_FALSE(state->resume(waiting[0].id, "token-2", "{}"));  // wrong token
    CHECK_FALSE(state->resume(waiting[0].id + 1, "token-1", "{}"));

    const auto resumed = state->resume(waiting[0].id, "token-1", R"({"decision":"yes"})");
    REQUIRE(resumed);
    CHECK(resumed->item.executionId == "e1");
    CHECK(resumed->item.stepId == "approve");
    CHECK(resumed->item.itemId != "e1.a");  // a new message: a new id
    CHECK(resumed->message == R"({"decision":"yes"})");
    CHECK(resumed->failedAttempts == 0);  // a wait gives its attempt back
    CHECK(statusOf(*state, "e1") == "running");
    CHECK(state->waiting("e1").empty());
    CHECK_FALSE(state->resume(waiting[0].id, "token-1", "{}"));  // resumed already

    state->published({resumed->item.itemId});
    CHECK(state->claimDue(10).empty());
    state->settle({settlement(resumed->item, Settlement::Kind::completed)});
    CHECK(statusOf(*state, "e1") == "succeeded");
    CHECK(attemptsOf(*state, "e1") ==
          std::vector<std::string>{"s1:1:completed", "approve:1:waiting", "approve:1:completed"});
}

TEST_CASE("waits: of concurrent resumes of one wait exactly one wins", "[state][postgres][wait]") {
    const std::string url = PostgresServer::shared().createSchema();
    auto options = stateOptions(url);
    auto first = flowgate::state::openPostgresState(options);
    auto second = flowgate::state::openPostgresState(options);
    for (int round = 0; round < 10; ++round) {
        const std::string e = "e" + std::to_string(round);
        toApprove(*first, e);
        first->settle({park(e + ".a", e, "t", 1h)});
        const auto id = first->waiting(e).at(0).id;
        std::atomic<int> wins{0}, ready{0};
        std::vector<std::thread> threads;
        for (int i = 0; i < 6; ++i) {
            threads.emplace_back([&, i] {
                ++ready;
                while (ready < 6) std::this_thread::yield();
                if ((i % 2 ? *first : *second).resume(id, "t", "{}")) ++wins;
            });
        }
        for (auto& t : threads) t.join();
        CHECK(wins == 1);
    }
}

TEST_CASE("waits: a timed-out wait is claimed once with its parked message",
          "[state][postgres][wait]") {
    auto state = freshState();
    toApprove(*state, "e1");
    state->settle({park("e1.a", "e1", "t", 200ms)});
    const auto waitId = state->waiting("e1").at(0).id;
    CHECK(state->claimDue(10).empty());
    std::this_thread::sleep_for(300ms);

    const auto due = state->claimDue(10);
    REQUIRE(due.size() == 1);
    CHECK(due[0].item.executionId == "e1");
    CHECK(due[0].message == R"({"body":{"waiting":true}})");
    CHECK(state->claimDue(10).empty());  // claimed: nobody else gets it
    // Too late to resume: it was taken, and it runs (still pending).
    CHECK_FALSE(state->resume(waitId, "t", "{}"));
    CHECK(state->waiting("e1").empty());
    CHECK(state->hasPending("e1"));
}

TEST_CASE("waits: a claim whose publisher died is handed out again under the same id",
          "[state][postgres][wait]") {
    auto options = stateOptions(PostgresServer::shared().createSchema());
    options.publishClaim = 300ms;
    auto state = flowgate::state::openPostgresState(options);
    toApprove(*state, "e1");
    state->settle({park("e1.a", "e1", "t", 1h)});
    const auto resumed = state->resume(state->waiting("e1").at(0).id, "t", R"({"n":1})");
    REQUIRE(resumed);
    CHECK(state->claimDue(10).empty());
    std::this_thread::sleep_for(400ms);  // the resuming ingress died before published()
    const auto again = state->claimDue(10);
    REQUIRE(again.size() == 1);
    CHECK(again[0].item.itemId == resumed->item.itemId);
    CHECK(again[0].message == R"({"n":1})");
    state->published({again[0].item.itemId});
    std::this_thread::sleep_for(400ms);
    CHECK(state->claimDue(10).empty());  // published: the broker has it

    // The first publisher got the message out after all: both copies are one item.
    CHECK(state->settle({settlement(resumed->item, Settlement::Kind::completed)}).front() ==
          SettleResult::applied);
    CHECK(state->settle({settlement(again[0].item, Settlement::Kind::completed)}).front() ==
          SettleResult::alreadySettled);
    CHECK(statusOf(*state, "e1") == "succeeded");
}

TEST_CASE("waits: an execution with a parked branch and a running one is running",
          "[state][postgres][wait]") {
    auto state = freshState();
    state->received(receivedOf("e1"));
    auto split = settlement(itemRef("e1.0", "e1"), Settlement::Kind::completed);
    split.next = {itemRef("e1.0.0", "e1", "approve"), itemRef("e1.0.1", "e1", "s2")};
    state->settle({split});
    state->settle({park("e1.0.0", "e1", "t", 1h)});
    CHECK(statusOf(*state, "e1") == "running");
    state->settle({settlement(itemRef("e1.0.1", "e1", "s2"), Settlement::Kind::completed)});
    CHECK(statusOf(*state, "e1") == "waiting");
}
