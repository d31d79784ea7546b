// Pure steps chained inside one attempt (workers.chainPureSteps, runtime/step_chain.hpp),
// against the real engine and plugins: the step after a jq transform, router or split runs
// in the same attempt instead of through the queue, and history, dead letters, replays and
// crash reports stay what they are without chaining.
#include <atomic>
#include <chrono>
#include <map>
#include <regex>

#include <catch2/catch.hpp>

#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/local_http_server.hpp"
#include "support/temp_dir.hpp"
#include "support/test_config.hpp"

using namespace flowgate::test;
using nlohmann::json;

namespace {

HttpResult api(const EngineProcess& engine, const TestConfig& config, const std::string& method,
               const std::string& path) {
    const std::string token = EngineProcess::adminToken(config.dataDir());
    return request(engine.adminPort(),
                   {method, path, "", "", {{"Authorization", "Bearer " + token}}, false});
}

json executionOf(const EngineProcess& engine, const TestConfig& config, const std::string& id) {
    const auto res = api(engine, config, "GET", "/api/v1/executions/" + id);
    return res.status == 200 ? res.json() : json();
}

std::string statusOf(const EngineProcess& engine, const TestConfig& config,
                     const std::string& id) {
    const json detail = executionOf(engine, config, id);
    return detail.is_object() ? detail.at("status").get<std::string>() : "";
}

// The value of an unlabelled counter on the admin listener's /metrics.
double counterOf(const EngineProcess& engine, const std::string& name) {
    const std::string text = request(engine.adminPort(), {"GET", "/metrics", "", "", {}, false}).body;
    const std::regex line("(^|\n)" + name + " ([0-9.e+]+)");
    std::smatch match;
    if (!std::regex_search(text, match, line)) return -1;
    return std::stod(match[2]);
}

// True once no queue operation has committed for 50 ms: the worker waits in its next
// take, so the next call is not folded into one of its ops.
bool queueGoesQuiet(const EngineProcess& engine) {
    double last = counterOf(engine, "flowgate_queue_committed_ops_total");
    auto changedAt = std::chrono::steady_clock::now();
    return eventually([&] {
        const double now = counterOf(engine, "flowgate_queue_committed_ops_total");
        if (now != last) {
            last = now;
            changedAt = std::chrono::steady_clock::now();
        }
        return std::chrono::steady_clock::now() - changedAt >= std::chrono::milliseconds(50);
    });
}

// "step:outcome" of each attempt of an execution, oldest first.
std::vector<std::string> attemptsOf(const json& detail) {
    std::vector<std::string> attempts;
    for (const auto& a : detail.at("attempts"))
        attempts.push_back(a.at("step").get<std::string>() + ":" + a.at("outcome").get<std::string>());
    return attempts;
}

json jqStep(const std::string& id, const std::string& expression) {
    return {{"id", id},
            {"component", "jq"},
            {"function", "transform"},
            {"config", {{"expression", expression}}}};
}

json loggerTo(const std::string& id, const std::filesystem::path& file) {
    return {{"id", id},
            {"component", "logger"},
            {"function", "log"},
            {"config", {{"file", file.string()}}}};
}

// A router that sends every message to both of its branches, a (log-a) and b (log-b).
json routeToBoth() {
    return {{"id", "route"},
            {"component", "router"},
            {"function", "route"},
            {"config",
             {{"mode", "all"},
              {"branches",
               {{{"name", "a"}, {"condition", "true"}}, {{"name", "b"}, {"condition", "true"}}}}}},
            {"next", {{"a", "log-a"}, {"b", "log-b"}}}};
}

struct FlowRun {
    double opsPerExecution = 0;
    std::vector<std::string> attempts;  // of the last execution
};

// Posts `executions` requests to webhook -> jq -> logger one after the other, each once the
// one before was settled and the queue is quiet, and reads the queue's committed operations
// per execution.
FlowRun runShapeAndLog(bool chain, int executions) {
    TestConfig config(json{{"workers", {{"processes", 1}, {"chainPureSteps", chain}}}});
    const auto out = config.file("out.log");
    config.addFlow({{"id", "bench"},
                    {"steps", {jqStep("shape", "{title: .title, n: .n}"), loggerTo("log", out)}}});
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
    // Warm: the worker has connected and waits in a take.
    REQUIRE(postJson(engine.port(), "/hook/bench", R"({"title":"warm","n":0})").status == 202);
    REQUIRE(eventually([&] { return jsonLines(out).size() == 1; }));

    const double before = counterOf(engine, "flowgate_queue_committed_ops_total");
    REQUIRE(before > 0);
    std::string last;
    for (int i = 1; i <= executions; ++i) {
        const auto res = postJson(engine.port(), "/hook/bench",
                                  json{{"title", "t"}, {"n", i}, {"extra", "dropped"}}.dump());
        REQUIRE(res.status == 202);
        last = res.json().at("requestId");
        REQUIRE(eventually([&] { return jsonLines(out).size() == static_cast<std::size_t>(i + 1); }));
        // Settled and idle, not only logged: a call stored before the last settle or the
        // worker's next take commits is taken by that op, one op fewer (under load, CI).
        REQUIRE(eventually([&] { return statusOf(engine, config, last) == "succeeded"; }));
        REQUIRE(queueGoesQuiet(engine));
    }

    const auto lines = jsonLines(out);
    const json& logged = lines.back().at("message");
    CHECK(logged.at("body") == json{{"title", "t"}, {"n", executions}});
    CHECK(logged.at("id") == last + "/shape/0");
    CHECK(logged.at("meta").at("requestId") == last);

    // Both steps ran once each, whether chained or not. The store shows the execution
    // succeeded as soon as its settle commits; the step counters move only once the
    // commit has returned to the worker, so wait for them.
    std::string metrics;
    const std::string runs = std::to_string(executions + 1);
    REQUIRE(eventually([&] {
        metrics = request(engine.adminPort(), {"GET", "/metrics", "", "", {}, false}).body;
        return metrics.find(R"(flowgate_step_runs_total{flow="bench",outcome="completed",step="log"} )" +
                            runs) != std::string::npos &&
               metrics.find(R"(flowgate_step_runs_total{flow="bench",outcome="completed",step="shape"} )" +
                            runs) != std::string::npos;
    }));
    const double after = counterOf(engine, "flowgate_queue_committed_ops_total");
    FlowRun run;
    run.opsPerExecution = (after - before) / executions;
    run.attempts = attemptsOf(executionOf(engine, config, last));
    CHECK(engine.terminate() == 0);
    return run;
}

}  // namespace

TEST_CASE("chained: webhook -> jq -> logger is one take and one settle, with the same history",
          "[e2e][chaining]") {
    const int executions = 20;
    const FlowRun chained = runShapeAndLog(true, executions);
    const FlowRun stored = runShapeAndLog(false, executions);
    INFO("committed queue operations per execution: chained " << chained.opsPerExecution
                                                              << ", unchained "
                                                              << stored.opsPerExecution);
    // History shows one completed attempt of each step either way.
    const std::vector<std::string> expected = {"shape:completed", "log:completed"};
    CHECK(chained.attempts == expected);
    CHECK(stored.attempts == expected);
    // A worker settles a batch and takes the next in one op (settleAndTake). Unchained:
    // enqueue, take(shape), settle(shape) taking the log item it stored, settle(log) taking
    // nothing, and the empty take the idle worker asks next. Chained: enqueue, take,
    // settle taking nothing, the empty take.
    CHECK(chained.opsPerExecution < 4.6);
    CHECK(stored.opsPerExecution > 4.6);
}

TEST_CASE("chained: a failing chained step is stored under its own step, retried, "
          "dead-lettered and replayed from there",
          "[e2e][chaining]") {
    std::atomic<bool> fixed{false};
    LocalHttpServer upstream([&](const SeenRequest&, Poco::Net::HTTPServerRequest&,
                                 Poco::Net::HTTPServerResponse& response) {
        response.setStatusAndReason(fixed ? Poco::Net::HTTPResponse::HTTP_OK
                                          : Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE);
        response.setContentType("application/json");
        response.send() << "{}";
    });
    TestConfig config(json{{"network", {{"allowAddresses", {"127.0.0.1/32"}}}},
                           {"retry", {{"maxAttempts", 2}, {"initialDelayMs", 20}}}});
    config.addFlow({{"id", "relay"},
                    {"steps",
                     {jqStep("shape", "{order: .order}"),
                      {{"id", "call"},
                       {"component", "http"},
                       {"function", "request"},
                       {"config", {{"url", upstream.url("/in")}}}}}}});
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());

    const auto accepted = postJson(engine.port(), "/hook/relay", R"({"order":7,"secret":"x"})");
    REQUIRE(accepted.status == 202);
    const std::string id = accepted.json().at("requestId");
    REQUIRE(eventually([&] { return statusOf(engine, config, id) == "dead"; }));

    // The chained run failed, its input was stored as an item of `call`, which failed its
    // own two attempts and was dead-lettered under `call` with the message jq made.
    const json detail = executionOf(engine, config, id);
    CHECK(attemptsOf(detail) == std::vector<std::string>{"shape:completed", "call:failed",
                                                         "call:failed", "call:dead"});
    const json letters = api(engine, config, "GET", "/api/v1/dead-letters").json().at("items");
    REQUIRE(letters.size() == 1);
    CHECK(letters[0].at("step") == "call");
    CHECK(letters[0].at("requestId") == id);
    const auto letterId = std::to_string(letters[0].at("id").get<long>());
    CHECK(upstream.requests().size() == 3);  // the chained run and the two queued attempts

    // The replay runs `call` on the dead letter's message (jq's output), not `shape` again.
    fixed = true;
    REQUIRE(api(engine, config, "POST", "/api/v1/dead-letters/" + letterId + "/replay").status ==
            202);
    REQUIRE(eventually([&] { return statusOf(engine, config, id) == "succeeded"; }));
    const auto seen = upstream.requests();
    REQUIRE(seen.size() == 4);
    CHECK(json::parse(seen.back().body) == json{{"order", 7}});
    const auto attempts = attemptsOf(executionOf(engine, config, id));
    REQUIRE(attempts.size() == 6);
    CHECK(attempts[4] == "call:replayed");
    CHECK(attempts[5] == "call:completed");
    CHECK(engine.terminate() == 0);
}

TEST_CASE("chained: a chained step that kills its worker is named in the log and dead letter",
          "[e2e][chaining]") {
    TestConfig config(json{{"retry", {{"maxAttempts", 2}, {"initialDelayMs", 20}}}});
    config.addFlow({{"id", "doomed"},
                    {"steps",
                     {jqStep("shape", "{n: .n}"),
                      {{"id", "crash"}, {"component", "poison"}, {"function", "abort"}}}}});
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
    const auto accepted = postJson(engine.port(), "/hook/doomed", R"({"n":1})");
    REQUIRE(accepted.status == 202);
    const std::string id = accepted.json().at("requestId");
    REQUIRE(eventually([&] { return statusOf(engine, config, id) == "dead"; },
                       std::chrono::seconds(60)));

    // The attempt belongs to the leased item (shape's): it runs again from there.
    const json letters = api(engine, config, "GET", "/api/v1/dead-letters").json().at("items");
    REQUIRE(letters.size() == 1);
    CHECK(letters[0].at("step") == "shape");
    const std::string cause =
        "worker exited on signal 6 (SIGABRT) while running step `crash` of flow `doomed` "
        "(chained after step `shape`)";
    CHECK(letters[0].at("error").get<std::string>().find(cause) != std::string::npos);
    CHECK(readFile(config.logFile()).find(cause + " (requestId " + id + ")") != std::string::npos);
    CHECK(engine.terminate() == 0);
}

TEST_CASE("chained: a router's branches each run, one side effect per attempt, ids as before",
          "[e2e][chaining]") {
    TestConfig config;
    const auto a = config.file("a.log"), b = config.file("b.log");
    json endOfBranch = loggerTo("log-a", a);
    endOfBranch["next"] = nullptr;  // ends its branch instead of going on to log-b
    config.addFlow({{"id", "fan"}, {"steps", {routeToBoth(), endOfBranch, loggerTo("log-b", b)}}});
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
    const auto accepted = postJson(engine.port(), "/hook/fan", R"({"x":1})");
    REQUIRE(accepted.status == 202);
    const std::string id = accepted.json().at("requestId");
    REQUIRE(eventually([&] { return statusOf(engine, config, id) == "succeeded"; }));

    REQUIRE(jsonLines(a).size() == 1);
    REQUIRE(jsonLines(b).size() == 1);
    CHECK(jsonLines(a)[0].at("message").at("id") == id + "/route/0");
    CHECK(jsonLines(b)[0].at("message").at("id") == id + "/route/1");
    CHECK(jsonLines(b)[0].at("message").at("body") == json{{"x", 1}});
    // log-a ran chained in route's attempt; log-b, a second side effect, was stored and
    // ran in an attempt of its own.
    auto attempts = attemptsOf(executionOf(engine, config, id));
    CHECK(attempts == std::vector<std::string>{"route:completed", "log-a:completed",
                                               "log-b:completed"});
    CHECK(engine.terminate() == 0);
}

TEST_CASE("forwarded messages go on whole: to each branch, and on from a stored step",
          "[e2e][chaining]") {
    TestConfig config;
    const auto a = config.file("a.log"), a2 = config.file("a2.log"), b = config.file("b.log");
    json firstOfBranch = loggerTo("log-a", a);
    firstOfBranch["next"] = "log-a2";
    json endOfBranch = loggerTo("log-a2", a2);
    endOfBranch["next"] = nullptr;
    config.addFlow({{"id", "fan"},
                    {"steps", {routeToBoth(), firstOfBranch, endOfBranch, loggerTo("log-b", b)}}});
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
    const json body = {{"order", {{"items", {1, 2, 3}}, {"note", "ü"}}}};
    const auto accepted = postJson(engine.port(), "/hook/fan", body.dump());
    REQUIRE(accepted.status == 202);
    const std::string id = accepted.json().at("requestId");
    REQUIRE(eventually([&] { return statusOf(engine, config, id) == "succeeded"; }));

    REQUIRE(jsonLines(a).size() == 1);
    REQUIRE(jsonLines(a2).size() == 1);
    REQUIRE(jsonLines(b).size() == 1);
    json atA = jsonLines(a)[0].at("message"), atA2 = jsonLines(a2)[0].at("message"),
         atB = jsonLines(b)[0].at("message");
    // route forwarded a copy to branch a (chained) and its input itself to branch b
    // (stored); log-a forwarded its input to log-a2 through the queue.
    CHECK(atA.at("id") == id + "/route/0");
    CHECK(atB.at("id") == id + "/route/1");
    CHECK(atA2.at("id") == id + "/route/0/log-a/0");
    CHECK(atA.at("body") == body);
    CHECK(atA.at("meta").at("requestId") == id);
    for (json* message : {&atA, &atA2, &atB}) message->erase("id");
    CHECK(atB == atA);
    CHECK(atA2 == atA);
    CHECK(engine.terminate() == 0);
}
