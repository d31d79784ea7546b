// Shared helpers of the shared-state tests: a PostgresState on a fresh database of the
// test process's PostgreSQL server, and short ways to build what the broker would send.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "state/postgres_state.hpp"
#include "support/postgres_server.hpp"

namespace flowgate::test {

inline state::PostgresStateOptions stateOptions(const std::string& url) {
    state::PostgresStateOptions options;
    options.url = url;
    options.timeout = std::chrono::seconds(3);
    return options;
}

// A state in its own schema: tests in one process share the server, not the data.
inline std::unique_ptr<state::SharedState> freshState() {
    return state::openPostgresState(stateOptions(PostgresServer::shared().createSchema()));
}

inline state::ItemRef itemRef(const std::string& id, const std::string& execution,
                              const std::string& step = "s1", const std::string& flow = "flow-a") {
    return {id, flow, execution, step};
}

// A webhook call of `flow` whose first item is `<execution>.0` at step s1.
inline state::Received receivedOf(const std::string& execution, const std::string& key = "",
                                  std::chrono::milliseconds window = std::chrono::minutes(1),
                                  const std::string& flow = "flow-a") {
    state::Received r;
    r.executionId = execution;
    r.flowId = flow;
    r.message = R"({"body":{"id":")" + execution + R"("}})";
    r.items = {itemRef(execution + ".0", execution, "s1", flow)};
    r.dedupeKey = key;
    r.window = window;
    return r;
}

inline state::Settlement settlement(const state::ItemRef& item, state::Settlement::Kind kind,
                                    int attempt = 1) {
    state::Settlement s;
    s.item = item;
    s.kind = kind;
    s.attempt = attempt;
    return s;
}

inline std::string statusOf(state::SharedState& state, const std::string& execution) {
    const auto detail = state.execution(execution);
    return detail ? detail->execution.status : "(none)";
}

// The attempts of an execution as "step:attempt:outcome" strings, oldest first.
inline std::vector<std::string> attemptsOf(state::SharedState& state, const std::string& execution) {
    std::vector<std::string> out;
    const auto detail = state.execution(execution);
    if (!detail) return out;
    for (const auto& a : detail->attempts)
        out.push_back(a.stepId + ":" + std::to_string(a.attempt) + ":" + a.outcome);
    return out;
}

}  // namespace flowgate::test
