// The shared state when its server goes away: calls fail with QueueUnavailable (never
// hang, never leak the password), and after a restart from its data everything committed
// is there and every call works again, with no process restarted.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/engine_process.hpp"
#include "unit/state/state_test_support.hpp"

using namespace std::chrono_literals;
using flowgate::queue::QueueUnavailable;
using flowgate::state::Settlement;
using flowgate::state::SettleResult;
using flowgate::test::attemptsOf;
using flowgate::test::itemRef;
using flowgate::test::PostgresServer;
using flowgate::test::receivedOf;
using flowgate::test::settlement;
using flowgate::test::stateOptions;
using flowgate::test::statusOf;

namespace {

constexpr const char* kPassword = "flowgate-test-password";

// Calls `f`, which must throw QueueUnavailable without the password in its message, soon.
template <class F>
void checkUnavailable(F f) {
    const auto start = std::chrono::steady_clock::now();
    try {
        f();
        FAIL("the call succeeded with the server down");
    } catch (const QueueUnavailable& e) {
        CHECK(std::string(e.what()).find(kPassword) == std::string::npos);
        CHECK(std::string(e.what()).find("shared state") != std::string::npos);
    }
    CHECK(std::chrono::steady_clock::now() - start < 5s);
}

}  // namespace

TEST_CASE("restart: while the server is down calls fail, and after kill -9 and a restart "
          "everything committed is there",
          "[state][postgres][restart]") {
    PostgresServer server;
    auto state = flowgate::state::openPostgresState(stateOptions(server.createSchema()));
    const std::string key = "flow-a\nx-id\nd1";
    REQUIRE_FALSE(state->received(receivedOf("e1", key, 1h)));
    auto wait = settlement(itemRef("e1.0", "e1"), Settlement::Kind::wait);
    wait.waitToken = "t";
    wait.message = "{}";
    wait.delay = 1h;
    state->settle({wait});
    state->setPaused("flow-a", true);

    server.kill9();
    checkUnavailable([&] { state->received(receivedOf("e2")); });
    checkUnavailable([&] { state->settle({settlement(itemRef("x", "e1"), Settlement::Kind::completed)}); });
    checkUnavailable([&] { state->execution("e1"); });
    checkUnavailable([&] { state->hasPending("e1"); });

    server.start();
    // The same state object: its connections are made again on the next call.
    CHECK(state->received(receivedOf("e3", key, 1h)) == "e1");  // the key survived
    CHECK(statusOf(*state, "e1") == "waiting");
    CHECK(state->waiting("e1").size() == 1);
    CHECK(state->pausedFlows() == std::set<std::string>{"flow-a"});
    CHECK_FALSE(state->execution("e2"));  // refused while down: nothing stored
    CHECK(state->settle({wait}).front() == SettleResult::alreadySettled);

    // A clean stop and start works the same way.
    server.stop();
    checkUnavailable([&] { state->pausedFlows(); });
    server.start();
    CHECK(state->resume(state->waiting("e1").at(0).id, "t", "{}"));
}

TEST_CASE("restart: a kill -9 in the middle of settling loses nothing and applies nothing "
          "twice",
          "[state][postgres][restart]") {
    PostgresServer server;
    auto options = stateOptions(server.createSchema());
    options.connections = 4;
    auto state = flowgate::state::openPostgresState(options);
    constexpr int kExecutions = 400;
    for (int i = 0; i < kExecutions; ++i) state->received(receivedOf("e" + std::to_string(i)));

    // Four workers settle every execution's item (each with one output, then that
    // output), retrying what failed as a worker does, while the server is killed and
    // started again under them.
    std::atomic<int> next{0};
    std::atomic<int> failures{0};
    std::atomic<bool> stop{false};
    auto settleUntilDone = [&](const Settlement& s) {
        while (!stop) {
            try {
                state->settle({s});
                return;
            } catch (const QueueUnavailable&) {
                ++failures;
                std::this_thread::sleep_for(50ms);
            }
        }
    };
    std::vector<std::thread> workers;
    for (int w = 0; w < 4; ++w) {
        workers.emplace_back([&] {
            for (int i = next++; i < kExecutions; i = next++) {
                const std::string e = "e" + std::to_string(i);
                auto first = settlement(itemRef(e + ".0", e), Settlement::Kind::completed);
                first.next = {itemRef(e + ".0.0", e, "s2")};
                settleUntilDone(first);
                settleUntilDone(settlement(itemRef(e + ".0.0", e, "s2"), Settlement::Kind::completed));
            }
        });
    }
    std::string serverError;
    try {
        if (!flowgate::test::eventually([&] { return next >= kExecutions / 4; }, 60s))
            throw std::runtime_error("the workers did not get going");
        server.kill9();
        std::this_thread::sleep_for(300ms);
    } catch (const std::exception& e) {
        serverError = e.what();
    }
    // The workers retry until the server is back: start it, whatever went wrong.
    try {
        server.start();
    } catch (const std::exception& e) {
        stop = true;
        serverError += std::string(" / ") + e.what();
    }
    for (auto& t : workers) t.join();
    REQUIRE(serverError == "");
    CHECK(failures > 0);  // the kill happened under load

    flowgate::queue::ExecutionQuery query;
    query.limit = kExecutions + 10;
    const auto page = state->executions(query);
    REQUIRE(page.items.size() == kExecutions);
    for (const auto& e : page.items) {
        INFO(e.requestId);
        CHECK(e.status == "succeeded");
        CHECK_FALSE(state->hasPending(e.requestId));
        // However often a settle was sent again, each attempt is recorded once.
        CHECK(attemptsOf(*state, e.requestId) ==
              std::vector<std::string>{"s1:1:completed", "s2:1:completed"});
    }
}

TEST_CASE("restart: a server that is not there makes opening fail with QueueUnavailable",
          "[state][postgres][restart]") {
    PostgresServer server;
    const std::string url = server.createSchema();
    server.stop();
    checkUnavailable([&] { flowgate::state::openPostgresState(stateOptions(url)); });
}
