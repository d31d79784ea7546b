// End to end: the real engine binary, real plugins from a directory, real HTTP over
// loopback, a real SQLite file. Each test asserts what a user of the webhook would see.
#include <catch2/catch.hpp>

#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/test_config.hpp"

using namespace flowgate::test;
using nlohmann::json;

namespace {

// webhook -> jq reshapes -> logger writes a JSON line to `out`
json greetingFlow(const std::string& id, const std::filesystem::path& out) {
    return {{"id", id},
            {"steps",
             {{{"id", "shape"},
               {"component", "jq"},
               {"function", "transform"},
               {"config", {{"expression", "{greeting: (\"Hello, \" + .title), title}"}}}},
              {{"id", "log"},
               {"component", "logger"},
               {"function", "log"},
               {"config", {{"file", out.string()}}}}}}};
}

json healthOf(const EngineProcess& engine) {
    return request(engine.adminPort(), {"GET", "/readyz", "", "", {}, false}).json();
}

}  // namespace

TEST_CASE("a JSON webhook is accepted, reshaped by jq and logged", "[e2e]") {
    TestConfig config;
    const auto out = config.file("out.log");
    config.addFlow(greetingFlow("greet", out));
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());

    REQUIRE(std::any_of(engine.banner().begin(), engine.banner().end(), [&](const std::string& l) {
        return l.find("/hook/greet") != std::string::npos;
    }));

    const auto res = postJson(engine.port(), "/hook/greet", R"({"title":"Hello"})");
    REQUIRE(res.status == 202);
    const std::string requestId = res.json().at("requestId");
    CHECK(requestId.size() == 36);
    CHECK(res.json().at("message").is_string());
    CHECK(res.headers.at("content-type") == "application/json");

    REQUIRE(eventually([&] { return jsonLines(out).size() == 1; }));
    const json line = jsonLines(out).at(0);
    CHECK(line.at("requestId") == requestId);
    CHECK(line.at("flow") == "greet");
    CHECK(line.at("message").at("body") == json{{"greeting", "Hello, Hello"}, {"title", "Hello"}});
    CHECK(line.at("message").at("meta").at("method") == "POST");
    CHECK(line.at("message").at("headers").at("content-type") == "application/json");
}

TEST_CASE("callers get precise errors with a JSON reason", "[e2e]") {
    TestConfig config(json{{"http", {{"maxBodyBytes", 1024}}}});
    const auto out = config.file("out.log");
    config.addFlow(greetingFlow("greet", out));
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
    const int port = engine.port();

    SECTION("unknown flow: 404") {
        const auto res = postJson(port, "/hook/nope", "{}");
        CHECK(res.status == 404);
        CHECK(res.json().at("error") == "flow_not_found");
        CHECK(request(port, {"HEAD", "/hook/nope", "", "", {}, false}).status == 404);
        CHECK(request(port, {"HEAD", "/hook/greet", "", "", {}, false}).status == 200);
    }
    SECTION("a body of any other type is kept as a raw attachment") {
        const auto res = request(port, {"POST", "/hook/greet", "hello", "text/plain", {}, false});
        CHECK(res.status == 202);
        REQUIRE(eventually([&] { return jsonLines(out).size() == 1; }));
        CHECK(jsonLines(out).at(0).at("message").at("attachments").size() == 1);
    }
    SECTION("malformed JSON: 400 with the parser's position") {
        const auto res = postJson(port, "/hook/greet", R"({"title": )");
        CHECK(res.status == 400);
        CHECK(res.json().at("error") == "malformed_json");
        CHECK(res.json().at("message").get<std::string>().find("parse error") != std::string::npos);
    }
    SECTION("hostile nesting: 400, not a crash") {
        const auto res = postJson(port, "/hook/greet", std::string(500, '['));
        CHECK(res.status == 400);
    }
    SECTION("body over the limit: 413, by Content-Length and chunked") {
        const std::string big = "{\"a\":\"" + std::string(2000, 'x') + "\"}";
        auto res = postJson(port, "/hook/greet", big);
        CHECK(res.status == 413);
        CHECK(res.json().at("error") == "body_too_large");
        res = request(port, {"POST", "/hook/greet", big, "application/json", {}, true});
        CHECK(res.status == 413);
    }
    SECTION("method not allowed: 405") {
        const auto res = request(port, {"DELETE", "/hook/greet", "", "", {}, false});
        CHECK(res.status == 405);
        CHECK(res.headers.count("allow") == 1);
    }
    // Nothing refused reaches a step, and the engine still serves after all of it.
    const auto before = jsonLines(out).size();
    CHECK(postJson(port, "/hook/greet", R"({"title":"after"})").status == 202);
    REQUIRE(eventually([&] { return jsonLines(out).size() == before + 1; }));
    CHECK(jsonLines(out).back().at("message").at("body").at("title") == "after");
}

TEST_CASE("forms, queries and the path after the flow id become the message", "[e2e]") {
    TestConfig config;
    const auto out = config.file("out.log");
    config.addFlow({{"id", "collect"},
                    {"steps",
                     {{{"id", "log"},
                       {"component", "logger"},
                       {"function", "log"},
                       {"config", {{"file", out.string()}}}}}}});
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());

    REQUIRE(request(engine.port(), {"POST", "/hook/collect/orders/42?src=shop",
                                    "name=Ada+Lovelace&tag=a&tag=b%26c",
                                    "application/x-www-form-urlencoded", {}, false})
                .status == 202);
    REQUIRE(eventually([&] { return jsonLines(out).size() == 1; }));
    REQUIRE(request(engine.port(), {"GET", "/hook/collect?q=1&q=2&x=%20y", "", "", {}, false})
                .status == 202);
    REQUIRE(eventually([&] { return jsonLines(out).size() == 2; }));

    const auto lines = jsonLines(out);
    const json& form = lines.at(0).at("message");
    CHECK(form.at("body") == json{{"name", "Ada Lovelace"}, {"tag", {"a", "b&c"}}});
    CHECK(form.at("meta").at("path") == "/orders/42");
    CHECK(form.at("meta").at("query") == json{{"src", "shop"}});
    const json& get = lines.at(1).at("message");
    CHECK(get.at("body") == json{{"q", {"1", "2"}}, {"x", " y"}});
    CHECK(get.at("meta").at("method") == "GET");
}

TEST_CASE("a JSON body reaches the flow as sent, without a byte order mark", "[e2e]") {
    TestConfig config;
    const auto out = config.file("out.log");
    config.addFlow({{"id", "collect"},
                    {"steps",
                     {{{"id", "log"},
                       {"component", "logger"},
                       {"function", "log"},
                       {"config", {{"file", out.string()}}}}}}});
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());

    // nlohmann takes a leading BOM, so the body is valid; stored with it in the middle of
    // the message text, the message could not be read back.
    REQUIRE(postJson(engine.port(), "/hook/collect", "\xEF\xBB\xBF{\"title\":\"bom\"}").status ==
            202);
    REQUIRE(eventually([&] { return jsonLines(out).size() == 1; }));
    // An integer beyond 64 bits is a double to nlohmann: valid, though simdjson refuses it.
    const std::string exotic = R"({"n":18446744073709551616,"s":"é😀\u00e9","deep":[[[[{}]]]]})";
    REQUIRE(postJson(engine.port(), "/hook/collect", exotic).status == 202);
    REQUIRE(eventually([&] { return jsonLines(out).size() == 2; }));

    const auto lines = jsonLines(out);
    CHECK(lines.at(0).at("message").at("body") == json{{"title", "bom"}});
    CHECK(lines.at(1).at("message").at("body") == json::parse(exotic));
}

TEST_CASE("the caller's credentials are never stored in the message", "[e2e]") {
    TestConfig config;
    const auto out = config.file("out.log");
    config.addFlow({{"id", "collect"},
                    {"steps",
                     {{{"id", "log"},
                       {"component", "logger"},
                       {"function", "log"},
                       {"config", {{"file", out.string()}}}}}}});
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
    REQUIRE(request(engine.port(), {"POST", "/hook/collect", "{}", "application/json",
                                    {{"Authorization", "Bearer s3cr3t-token"}, {"X-Trace", "t1"}},
                                    false})
                .status == 202);
    REQUIRE(eventually([&] { return jsonLines(out).size() == 1; }));
    const std::string text = readFile(out);
    CHECK(text.find("s3cr3t-token") == std::string::npos);
    CHECK(jsonLines(out).at(0).at("message").at("headers").at("x-trace") == "t1");
}

TEST_CASE("a failing step is retried with backoff, then dead-lettered", "[e2e]") {
    TestConfig config;
    const auto out = config.file("out.log");
    config.addFlow({{"id", "flaky"},
                    {"retry", {{"maxAttempts", 4}, {"initialDelayMs", 10}, {"maxDelayMs", 50}}},
                    {"steps",
                     {{{"id", "wobble"},
                       {"component", "testkit"},
                       {"function", "fail"},
                       {"config", {{"times", 2}}}},
                      {{"id", "log"},
                       {"component", "logger"},
                       {"function", "log"},
                       {"config", {{"file", out.string()}}}}}}});
    config.addFlow({{"id", "broken"},
                    {"retry", {{"maxAttempts", 3}, {"initialDelayMs", 10}, {"maxDelayMs", 50}}},
                    {"steps",
                     {{{"id", "boom"},
                       {"component", "testkit"},
                       {"function", "fail"},
                       {"config", {{"message", "upstream said no"}}}}}}});
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());

    REQUIRE(postJson(engine.port(), "/hook/flaky", "{}").status == 202);
    REQUIRE(postJson(engine.port(), "/hook/broken", "{}").status == 202);

    // Two failures, then success on the third attempt.
    REQUIRE(eventually([&] { return jsonLines(out).size() == 1; }));
    // Three failed attempts, then the dead-letter table.
    REQUIRE(eventually([&] { return healthOf(engine).at("queue").at("deadLetters") == 1; }));
    const std::string log = readFile(config.logFile());
    CHECK(log.find("upstream said no") != std::string::npos);
    CHECK(log.find("dead-lettered") != std::string::npos);
    // The logger wrote its line before its worker settled the item, and the store shows a
    // dead letter as soon as its settle commits, but the counters move only after the
    // commit returns to the worker: wait for both flows' last counters before reading the
    // rest (a scrape reads one counter after another, so wait for each one read here).
    std::string metrics;
    REQUIRE(eventually([&] {
        metrics = request(engine.adminPort(), {"GET", "/metrics", "", "", {}, false}).body;
        return metrics.find(R"(flowgate_step_runs_total{flow="flaky",outcome="completed",step="log"} 1)") !=
                   std::string::npos &&
               metrics.find("flowgate_steps_dead_lettered_total 1") != std::string::npos &&
               metrics.find("flowgate_steps_failed_total 5") != std::string::npos;
    }));
    // Settled by now (the counters move after the settle's commit): nothing left ready.
    CHECK(healthOf(engine).at("queue").at("ready") == 0);

    // The same by flow, step and outcome, as an operator's dashboard reads them.
    const auto has = [&](const std::string& line) {
        INFO(line);
        return metrics.find("\n" + line + "\n") != std::string::npos;
    };
    CHECK(has(R"(flowgate_webhook_requests_total{flow="flaky",status="202"} 1)"));
    CHECK(has(R"(flowgate_webhook_requests_total{flow="broken",status="202"} 1)"));
    CHECK(has(R"(flowgate_step_runs_total{flow="flaky",outcome="failed",step="wobble"} 2)"));
    CHECK(has(R"(flowgate_step_runs_total{flow="flaky",outcome="completed",step="wobble"} 1)"));
    CHECK(has(R"(flowgate_step_runs_total{flow="flaky",outcome="completed",step="log"} 1)"));
    CHECK(has(R"(flowgate_step_runs_total{flow="broken",outcome="failed",step="boom"} 2)"));
    CHECK(has(R"(flowgate_step_runs_total{flow="broken",outcome="dead",step="boom"} 1)"));
    CHECK(has(R"(flowgate_step_duration_seconds_count{flow="broken",step="boom"} 3)"));
    CHECK(has("flowgate_webhook_accept_duration_seconds_count 2"));
    CHECK(has("flowgate_workers 2"));
    // Per flow, from the store: nothing left queued, one execution dead, one succeeded.
    CHECK(has(R"(flowgate_flow_queue_depth{flow="broken"} 0)"));
    CHECK(has(R"(flowgate_flow_executions{flow="broken",status="dead"} 1)"));
    CHECK(has(R"(flowgate_flow_executions{flow="flaky",status="succeeded"} 1)"));
    CHECK(metrics.find("\nprocess_resident_memory_bytes ") != std::string::npos);
    CHECK(metrics.find("\nprocess_open_fds ") != std::string::npos);

    // A path naming no flow is counted without inventing a label for it.
    CHECK(postJson(engine.port(), "/hook/no-such-flow", "{}").status == 404);
    const auto after = request(engine.adminPort(), {"GET", "/metrics", "", "", {}, false}).body;
    CHECK(after.find(R"(flowgate_webhook_requests_total{flow="",status="404"} 1)") !=
          std::string::npos);
    CHECK(after.find("no-such-flow") == std::string::npos);
}

TEST_CASE("a plugin built for another ABI is refused and the others load", "[e2e]") {
    TestConfig config;
    const auto out = config.file("out.log");
    config.addFlow(greetingFlow("greet", out));
    config.addFlow({{"id", "old"},
                    {"steps", {{{"id", "s"}, {"component", "oldabi"}, {"function", "run"}}}}});
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());

    const std::string log = readFile(config.logFile());
    CHECK(log.find("refused: built for SDK 0.9") != std::string::npos);
    CHECK(log.find("engine has SDK") != std::string::npos);
    CHECK(log.find("unknown component 'oldabi'") != std::string::npos);
    CHECK(postJson(engine.port(), "/hook/old", "{}").status == 404);
    CHECK(postJson(engine.port(), "/hook/greet", R"({"title":"x"})").status == 202);
    CHECK(eventually([&] { return jsonLines(out).size() == 1; }));
}

TEST_CASE("SIGTERM lets the running step finish and exits cleanly", "[e2e]") {
    TestConfig config;
    const auto out = config.file("out.log");
    config.addFlow({{"id", "slow"},
                    {"steps",
                     {{{"id", "wait"}, {"component", "testkit"}, {"function", "sleep"},
                       {"config", {{"ms", 700}}}},
                      {{"id", "log"}, {"component", "logger"}, {"function", "log"},
                       {"config", {{"file", out.string()}}}}}}});
    std::string requestId;
    {
        EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
        const auto res = postJson(engine.port(), "/hook/slow", "{}");
        REQUIRE(res.status == 202);
        requestId = res.json().at("requestId");
        REQUIRE(eventually([&] { return healthOf(engine).at("queue").at("leased") == 1; }));
        CHECK(engine.terminate() == 0);
    }
    // The sleep finished before exit, so its output was stored; a restart logs it once.
    EngineProcess again(config.configDir(), allPluginDirs(), config.logFile());
    REQUIRE(eventually([&] { return jsonLines(out).size() == 1; }));
    CHECK(jsonLines(out).at(0).at("requestId") == requestId);
    CHECK(readFile(config.logFile()).find("SIGTERM received") != std::string::npos);
}
