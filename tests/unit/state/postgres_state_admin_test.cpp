// The operator's side of the shared state: dead-letter pages, replay and delete.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "unit/state/state_test_support.hpp"

using flowgate::queue::DeadLetterQuery;
using flowgate::state::SharedState;
using flowgate::state::Settlement;
using flowgate::test::attemptsOf;
using flowgate::test::freshState;
using flowgate::test::itemRef;
using flowgate::test::receivedOf;
using flowgate::test::settlement;
using flowgate::test::statusOf;

namespace {

// Receives execution `e` of `flow` and dead-letters its first item after 3 attempts.
void deadLetter(SharedState& state, const std::string& e, const std::string& flow = "flow-a") {
    state.received(receivedOf(e, "", std::chrono::minutes(1), flow));
    auto s = settlement(itemRef(e + ".0", e, "s1", flow), Settlement::Kind::deadLetter, 3);
    s.failed = true;
    s.error = "failed: " + e;
    s.message = R"({"body":")" + e + R"("})";
    state.settle({s});
}

}  // namespace

TEST_CASE("dead letters: pages, newest first, filtered by flow", "[state][postgres][admin]") {
    auto state = freshState();
    for (int i = 0; i < 5; ++i) deadLetter(*state, "a" + std::to_string(i));
    deadLetter(*state, "b0", "flow-b");

    DeadLetterQuery query;
    query.limit = 2;
    auto page = state->deadLetterPage(query);
    REQUIRE(page.items.size() == 2);
    CHECK(page.items[0].executionId == "b0");
    CHECK(page.items[1].executionId == "a4");
    REQUIRE(page.nextBeforeId);
    query.beforeId = page.nextBeforeId;
    query.limit = 10;
    page = state->deadLetterPage(query);
    REQUIRE(page.items.size() == 4);
    CHECK(page.items[0].executionId == "a3");
    CHECK(page.items[3].executionId == "a0");
    CHECK(page.items[3].error == "failed: a0");
    CHECK(page.items[3].attempts == 3);
    CHECK_FALSE(page.nextBeforeId);

    DeadLetterQuery flowB;
    flowB.flowId = "flow-b";
    CHECK(state->deadLetterPage(flowB).items.size() == 1);
    DeadLetterQuery future;
    future.sinceMs = page.items[0].failedAtMs + 3'600'000;
    CHECK(state->deadLetterPage(future).items.empty());
}

TEST_CASE("dead letters: a replay hands the item back to publish and the execution runs",
          "[state][postgres][admin]") {
    auto state = freshState();
    deadLetter(*state, "e1");
    const auto id = state->deadLetters(10).at(0).id;
    CHECK(statusOf(*state, "e1") == "dead");

    const auto publish = state->replayDeadLetter(id);
    REQUIRE(publish.size() == 1);
    CHECK(publish[0].item.executionId == "e1");
    CHECK(publish[0].item.stepId == "s1");
    CHECK(publish[0].item.flowId == "flow-a");
    CHECK(publish[0].message == R"({"body":"e1"})");
    CHECK(publish[0].failedAttempts == 0);  // a fresh attempt count
    CHECK(statusOf(*state, "e1") == "running");
    CHECK(state->hasPending("e1"));
    CHECK(state->deadLetters(10).empty());
    CHECK(state->replayDeadLetter(id).empty());  // gone

    state->published({publish[0].item.itemId});
    state->settle({settlement(publish[0].item, Settlement::Kind::completed)});
    CHECK(statusOf(*state, "e1") == "succeeded");
    CHECK(attemptsOf(*state, "e1") ==
          std::vector<std::string>{"s1:3:dead", "s1:0:replayed", "s1:1:completed"});
}

TEST_CASE("dead letters: replay many by filter, oldest first, at most max, and delete one",
          "[state][postgres][admin]") {
    auto state = freshState();
    for (int i = 0; i < 4; ++i) deadLetter(*state, "a" + std::to_string(i));
    deadLetter(*state, "b0", "flow-b");

    DeadLetterQuery flowA;
    flowA.flowId = "flow-a";
    flowA.beforeId = 1;  // the cursor is ignored
    const auto replayed = state->replayDeadLetters(flowA, 3);
    REQUIRE(replayed.size() == 3);
    CHECK(replayed[0].item.executionId == "a0");
    CHECK(replayed[2].item.executionId == "a2");
    CHECK(statusOf(*state, "a0") == "running");
    CHECK(statusOf(*state, "a3") == "dead");
    CHECK(state->deadLetters(10).size() == 2);

    const auto b0 = state->deadLetterPage({"flow-b", {}, {}, {}, 10}).items.at(0).id;
    CHECK(state->deleteDeadLetter(b0));
    CHECK_FALSE(state->deleteDeadLetter(b0));
    CHECK(state->deadLetters(10).size() == 1);
    // Deleting a dead letter does not undo the loss: the execution stays dead.
    CHECK(statusOf(*state, "b0") == "dead");
}
