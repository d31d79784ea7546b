// PostgresState against a real PostgreSQL server: the webhook path, settling, history.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "unit/state/state_test_support.hpp"

using namespace std::chrono_literals;
using flowgate::state::SettleResult;
using flowgate::state::Settlement;
using flowgate::test::attemptsOf;
using flowgate::test::freshState;
using flowgate::test::itemRef;
using flowgate::test::receivedOf;
using flowgate::test::settlement;
using flowgate::test::statusOf;

TEST_CASE("shared state: an execution runs through its steps and succeeds when the last completes",
          "[state][postgres]") {
    auto state = freshState();
    REQUIRE_FALSE(state->received(receivedOf("e1")));
    CHECK(statusOf(*state, "e1") == "running");
    CHECK(state->hasPending("e1"));
    CHECK(state->execution("e1")->execution.message == R"({"body":{"id":"e1"}})");
    CHECK(state->execution("e1")->execution.flowId == "flow-a");

    auto first = settlement(itemRef("e1.0", "e1"), Settlement::Kind::completed);
    first.next = {itemRef("e1.0.0", "e1", "s2"), itemRef("e1.0.1", "e1", "s2")};
    CHECK(state->settle({first}) == std::vector{SettleResult::applied});
    CHECK(statusOf(*state, "e1") == "running");

    // The two branches of a split finish; the execution succeeds with the second.
    CHECK(state->settle({settlement(itemRef("e1.0.0", "e1", "s2"), Settlement::Kind::completed)})
              .front() == SettleResult::applied);
    CHECK(statusOf(*state, "e1") == "running");
    CHECK(state->hasPending("e1"));
    state->settle({settlement(itemRef("e1.0.1", "e1", "s2"), Settlement::Kind::completed)});
    CHECK(statusOf(*state, "e1") == "succeeded");
    CHECK_FALSE(state->hasPending("e1"));
    CHECK(attemptsOf(*state, "e1") ==
          std::vector<std::string>{"s1:1:completed", "s2:1:completed", "s2:1:completed"});

    const auto activity = state->flowActivity();
    REQUIRE(activity.count("flow-a") == 1);
    CHECK(activity.at("flow-a").received == 1);
    CHECK(activity.at("flow-a").byStatus.at("succeeded") == 1);
    CHECK(activity.at("flow-a").queueDepth == 0);
}

TEST_CASE("shared state: an item settled twice (a redelivery) applies once", "[state][postgres]") {
    auto state = freshState();
    state->received(receivedOf("e1"));
    auto done = settlement(itemRef("e1.0", "e1"), Settlement::Kind::completed);
    done.next = {itemRef("e1.0.0", "e1", "s2")};

    CHECK(state->settle({done}) == std::vector{SettleResult::applied});
    // The worker died between commit and ack: the broker delivers e1.0 again, the step
    // runs again and settles the same way.
    CHECK(state->settle({done}) == std::vector{SettleResult::alreadySettled});
    // Its output settles; a late third copy of e1.0 must not bring e1.0.0 back.
    state->settle({settlement(itemRef("e1.0.0", "e1", "s2"), Settlement::Kind::completed)});
    CHECK(state->settle({done}) == std::vector{SettleResult::alreadySettled});

    CHECK(statusOf(*state, "e1") == "succeeded");
    CHECK_FALSE(state->hasPending("e1"));
    CHECK(attemptsOf(*state, "e1") == std::vector<std::string>{"s1:1:completed", "s2:1:completed"});

    // Twice within one batch: the second is the redelivery.
    state->received(receivedOf("e2"));
    auto fail = settlement(itemRef("e2.0", "e2"), Settlement::Kind::deadLetter);
    fail.error = "boom";
    fail.message = "{}";
    CHECK(state->settle({fail, fail}) ==
          std::vector{SettleResult::applied, SettleResult::alreadySettled});
    CHECK(state->deadLetters(10).size() == 1);
}

TEST_CASE("shared state: retries keep their attempt count and the last failure is a dead letter",
          "[state][postgres]") {
    auto state = freshState();
    state->received(receivedOf("e1"));
    auto retry = settlement(itemRef("e1.0", "e1"), Settlement::Kind::retry, 1);
    retry.failed = true;
    retry.error = "timeout talking to the API";
    retry.successorId = "e1.0-r1";
    state->settle({retry});
    CHECK(statusOf(*state, "e1") == "failed");
    CHECK(state->hasPending("e1"));

    // A retryLater (not failed) gives its attempt back and the execution runs.
    auto later = settlement(itemRef("e1.0-r1", "e1"), Settlement::Kind::retry, 2);
    later.successorId = "e1.0-r2";
    state->settle({later});
    CHECK(statusOf(*state, "e1") == "running");

    auto dead = settlement(itemRef("e1.0-r2", "e1"), Settlement::Kind::deadLetter, 2);
    dead.failed = true;
    dead.error = "still failing \xff";  // a plugin's bytes: stored, made valid UTF-8
    dead.message = R"({"body":{"id":"e1"}})";
    dead.startedAtMs = 1;  // long ago: a duration of the caller's clock is kept >= 0
    state->settle({dead});
    CHECK(statusOf(*state, "e1") == "dead");
    CHECK_FALSE(state->hasPending("e1"));
    CHECK(attemptsOf(*state, "e1") ==
          std::vector<std::string>{"s1:1:failed", "s1:2:retry", "s1:2:dead"});
    const auto detail = state->execution("e1");
    CHECK(detail->attempts[0].error == "timeout talking to the API");
    CHECK(detail->attempts[2].startedAtMs == 1);

    const auto letters = state->deadLetters(10);
    REQUIRE(letters.size() == 1);
    CHECK(letters[0].executionId == "e1");
    CHECK(letters[0].stepId == "s1");
    CHECK(letters[0].attempts == 2);
    CHECK(letters[0].error == "still failing \xef\xbf\xbd");
    CHECK(letters[0].message == R"({"body":{"id":"e1"}})");
    CHECK(state->stats().deadLetters == 1);
}

TEST_CASE("shared state: a released item runs again and its attempt is given back",
          "[state][postgres]") {
    auto state = freshState();
    state->received(receivedOf("e1"));
    auto release = settlement(itemRef("e1.0", "e1"), Settlement::Kind::release, 1);
    release.successorId = "e1.0-again";
    state->settle({release});
    CHECK(statusOf(*state, "e1") == "running");
    CHECK(attemptsOf(*state, "e1") == std::vector<std::string>{"s1:1:released"});
    state->lost(itemRef("e1.0-again", "e1"), 1, 0);
    state->settle({settlement(itemRef("e1.0-again", "e1"), Settlement::Kind::completed, 1)});
    CHECK(statusOf(*state, "e1") == "succeeded");
    CHECK(attemptsOf(*state, "e1") ==
          std::vector<std::string>{"s1:1:released", "s1:1:lost", "s1:1:completed"});
}

TEST_CASE("shared state: a publish that failed is forgotten, its dedupe key too",
          "[state][postgres]") {
    auto state = freshState();
    REQUIRE_FALSE(state->received(receivedOf("e1", "flow-a\nx-id\nd1")));
    state->forgetReceived("e1", "flow-a\nx-id\nd1");
    CHECK_FALSE(state->execution("e1"));
    CHECK_FALSE(state->hasPending("e1"));
    // The sender's retry is a new execution, not a duplicate of the one never accepted.
    CHECK_FALSE(state->received(receivedOf("e2", "flow-a\nx-id\nd1")));
    CHECK(state->execution("e2")->execution.deliveryId == "d1");
    // Forgetting an execution leaves a key that names another one alone.
    state->forgetReceived("e1", "flow-a\nx-id\nd1");
    CHECK(state->received(receivedOf("e3", "flow-a\nx-id\nd1")) == "e2");
}

TEST_CASE("shared state: paused flows are stored and listed", "[state][postgres]") {
    auto state = freshState();
    CHECK(state->pausedFlows().empty());
    state->setPaused("orders", true);
    state->setPaused("orders", true);
    state->setPaused("hello", true);
    CHECK(state->pausedFlows() == std::set<std::string>{"hello", "orders"});
    state->setPaused("orders", false);
    CHECK(state->pausedFlows() == std::set<std::string>{"hello"});
}

TEST_CASE("shared state: execution pages filter and page like the embedded history",
          "[state][postgres]") {
    auto state = freshState();
    for (int i = 0; i < 5; ++i) state->received(receivedOf("a" + std::to_string(i)));
    state->received(receivedOf("b0", "", 1min, "flow-b"));
    state->settle({settlement(itemRef("a1.0", "a1"), Settlement::Kind::completed)});

    flowgate::queue::ExecutionQuery query;
    query.limit = 2;
    auto page = state->executions(query);
    REQUIRE(page.items.size() == 2);
    CHECK(page.items[0].requestId == "b0");
    CHECK(page.items[1].requestId == "a4");
    CHECK(page.items[0].message.empty());
    REQUIRE(page.nextBeforeSeq);
    query.beforeSeq = page.nextBeforeSeq;
    query.limit = 10;
    page = state->executions(query);
    REQUIRE(page.items.size() == 4);
    CHECK(page.items[0].requestId == "a3");
    CHECK_FALSE(page.nextBeforeSeq);

    flowgate::queue::ExecutionQuery succeeded;
    succeeded.status = "succeeded";
    page = state->executions(succeeded);
    REQUIRE(page.items.size() == 1);
    CHECK(page.items[0].requestId == "a1");
    flowgate::queue::ExecutionQuery flowB;
    flowB.flowId = "flow-b";
    CHECK(state->executions(flowB).items.size() == 1);
    flowgate::queue::ExecutionQuery future;
    future.sinceMs = page.items[0].receivedAtMs + 3'600'000;
    CHECK(state->executions(future).items.empty());
    CHECK(state->flowActivity().at("flow-a").queueDepth == 4);
}

TEST_CASE("shared state: steps chained after an item are attempts of their own steps, once",
          "[state][postgres][chaining]") {
    auto state = freshState();
    state->received(receivedOf("e1"));
    auto done = settlement(itemRef("e1.0", "e1"), Settlement::Kind::completed);
    done.chained = {{"s2", true, "", 1000, 2000}, {"s3", false, "upstream said 503", 1002, 3000}};
    done.next = {itemRef("e1.0.s2.0", "e1", "s3")};  // s3's input, stored after its failure
    CHECK(state->settle({done}) == std::vector{SettleResult::applied});
    CHECK(state->settle({done}) == std::vector{SettleResult::alreadySettled});  // redelivery
    CHECK(attemptsOf(*state, "e1") ==
          std::vector<std::string>{"s1:1:completed", "s2:1:completed", "s3:1:failed"});
    const auto detail = state->execution("e1");
    CHECK(detail->attempts[1].startedAtMs == 1000);
    CHECK(detail->attempts[1].durationMs == 2);
    CHECK(detail->attempts[1].error.empty());
    CHECK(detail->attempts[2].error == "upstream said 503");
    CHECK(statusOf(*state, "e1") == "running");
}
