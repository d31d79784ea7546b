// De-duplication of webhook deliveries in the shared state: windows, and concurrent
// claims from many threads and several processes' states at once.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "unit/state/state_test_support.hpp"

using namespace std::chrono_literals;
using flowgate::test::freshState;
using flowgate::test::PostgresServer;
using flowgate::test::receivedOf;
using flowgate::test::stateOptions;
using flowgate::test::statusOf;

TEST_CASE("dedupe: a key seen within its window names the first execution and stores nothing",
          "[state][postgres][dedupe]") {
    auto state = freshState();
    const std::string key = "flow-a\nwebhook-id\nmsg_1";
    REQUIRE_FALSE(state->received(receivedOf("e1", key)));
    CHECK(state->received(receivedOf("e2", key)) == "e1");
    CHECK_FALSE(state->execution("e2"));
    CHECK_FALSE(state->hasPending("e2"));
    CHECK(state->execution("e1")->execution.deliveryId == "msg_1");
    // Another key, or the same delivery id for another flow, is another delivery.
    CHECK_FALSE(state->received(receivedOf("e3", "flow-b\nwebhook-id\nmsg_1")));
    // Keys are bytes: a header value that is not UTF-8 is a key like any other.
    CHECK_FALSE(state->received(receivedOf("e4", "flow-a\nwebhook-id\n\xfe\xff")));
    CHECK(state->received(receivedOf("e5", "flow-a\nwebhook-id\n\xfe\xff")) == "e4");
    CHECK(state->stats().dedupeKeys == 3);
}

TEST_CASE("dedupe: after its window a key starts a new execution", "[state][postgres][dedupe]") {
    auto state = freshState();
    const std::string key = "flow-a\nx-id\nd1";
    REQUIRE_FALSE(state->received(receivedOf("e1", key, 300ms)));
    CHECK(state->received(receivedOf("e2", key, 300ms)) == "e1");
    std::this_thread::sleep_for(400ms);
    CHECK_FALSE(state->received(receivedOf("e3", key, 300ms)));
    CHECK(state->received(receivedOf("e4", key, 300ms)) == "e3");
    CHECK(statusOf(*state, "e3") == "running");
}

TEST_CASE("dedupe: of concurrent claims of one key, exactly one stores, on any process",
          "[state][postgres][dedupe]") {
    // Two states on one schema stand for two ingress processes; each has a pool of
    // connections used by several threads.
    const std::string url = PostgresServer::shared().createSchema();
    auto options = stateOptions(url);
    options.connections = 4;
    auto first = flowgate::state::openPostgresState(options);
    auto second = flowgate::state::openPostgresState(options);

    for (int round = 0; round < 20; ++round) {
        const std::string key = "flow-a\nx-id\nround-" + std::to_string(round);
        constexpr int kCallers = 8;
        std::vector<std::optional<std::string>> answers(kCallers);
        std::atomic<int> ready{0};
        std::vector<std::thread> threads;
        for (int i = 0; i < kCallers; ++i) {
            threads.emplace_back([&, i] {
                auto& state = i % 2 ? *first : *second;
                ++ready;
                while (ready < kCallers) std::this_thread::yield();
                answers[i] = state.received(
                    receivedOf("r" + std::to_string(round) + "-" + std::to_string(i), key));
            });
        }
        for (auto& t : threads) t.join();
        int stored = 0;
        std::string winner;
        for (int i = 0; i < kCallers; ++i) {
            if (!answers[i]) {
                ++stored;
                winner = "r" + std::to_string(round) + "-" + std::to_string(i);
            }
        }
        REQUIRE(stored == 1);
        for (const auto& answer : answers)
            if (answer) CHECK(*answer == winner);
        flowgate::queue::ExecutionQuery query;
        query.limit = 1000;
        std::size_t executionsOfRound = 0;
        for (const auto& e : first->executions(query).items)
            if (e.deliveryId == "round-" + std::to_string(round)) ++executionsOfRound;
        CHECK(executionsOfRound == 1);
    }
}
