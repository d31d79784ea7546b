// What SDK 2 promises a step, checked through the real engine and real plugins: a
// PermanentFailure is dead-lettered at once, a step credential is checked against its
// component's credential type when the flow loads, and a step reads its execution's
// attachment bytes (and no other execution's).
#include <catch2/catch.hpp>

#include "support/build_paths.hpp"
#include "support/cli_run.hpp"
#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/test_config.hpp"

using namespace flowgate::test;
using nlohmann::json;

namespace {

json queueOf(const EngineProcess& engine) {
    return request(engine.adminPort(), {"GET", "/readyz", "", "", {}, false}).json().at("queue");
}

std::string metricsOf(const EngineProcess& engine) {
    return request(engine.adminPort(), {"GET", "/metrics", "", "", {}, false}).body;
}

}  // namespace

TEST_CASE("a PermanentFailure is dead-lettered at its first attempt, with its reason",
          "[e2e][sdk]") {
    TestConfig config;
    config.addFlow({{"id", "final"},
                    {"retry", {{"maxAttempts", 5}, {"initialDelayMs", 10}, {"maxDelayMs", 50}}},
                    {"steps",
                     {{{"id", "boom"},
                       {"component", "testkit"},
                       {"function", "fail"},
                       {"config", {{"message", "no retry can fix this"}, {"permanent", true}}}}}}});
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());

    REQUIRE(postJson(engine.port(), "/hook/final", "{}").status == 202);
    REQUIRE(eventually([&] { return queueOf(engine).at("deadLetters") == 1; }));
    std::string metrics;
    REQUIRE(eventually([&] {
        metrics = metricsOf(engine);
        return metrics.find(R"(flowgate_step_runs_total{flow="final",outcome="dead",step="boom"} 1)") !=
               std::string::npos;
    }));
    CHECK(metrics.find(R"(flowgate_step_runs_total{flow="final",outcome="failed")") == std::string::npos);
    const std::string log = readFile(config.logFile());
    CHECK(log.find("attempt 1 of 5 failed permanently, dead-lettered: no retry can fix this") !=
          std::string::npos);
    CHECK(engine.terminate() == 0);
}

TEST_CASE("a flow whose step credential lacks a required field is refused at load",
          "[e2e][sdk]") {
    TestConfig config;
    // The bundled twitter plugin declares the oauth1 credential type with a schema.
    config.addCredential({{"id", "half-twitter"},
                          {"type", "oauth1"},
                          {"consumerKey", "ck"},
                          {"consumerSecret", "cs-secret"},
                          {"accessToken", "at"}});
    config.addFlow({{"id", "tweets"},
                    {"steps",
                     {{{"id", "tweet"},
                       {"component", "twitter"},
                       {"function", "post"},
                       {"credential", "half-twitter"}}}}});
    config.addFlow({{"id", "fine"}, {"steps", {{{"id", "log"}, {"component", "logger"}, {"function", "log"}}}}});

    const auto run = runFlowgate("validate --config " + config.configDir().string() +
                                 " --plugins " + flowgate::test::paths::pluginDir);
    INFO(run.output);
    CHECK(run.exitCode == 1);
    CHECK(run.output.find("half-twitter.json: (document): Missing required property "
                          "'accessTokenSecret'") != std::string::npos);
    CHECK(run.output.find("tweets.json: /steps/0/credential: credential 'half-twitter' is not a "
                          "valid 'oauth1' credential (see its errors)") != std::string::npos);
    CHECK(run.output.find("1 valid flow(s)") != std::string::npos);
    CHECK(run.output.find("cs-secret") == std::string::npos);

    // The engine starts with the valid flow; the refused one answers 404.
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
    CHECK(postJson(engine.port(), "/hook/tweets", "{}").status == 404);
    CHECK(postJson(engine.port(), "/hook/fine", "{}").status == 202);
    CHECK(engine.terminate() == 0);
}

TEST_CASE("a step reads the bytes of its execution's attachments", "[e2e][sdk]") {
    TestConfig config;
    const auto out = config.file("out.log");
    config.addFlow({{"id", "files"},
                    {"steps",
                     {{{"id", "read"}, {"component", "testkit"}, {"function", "read-attachments"}},
                      {{"id", "log"},
                       {"component", "logger"},
                       {"function", "log"},
                       {"config", {{"file", out.string()}}}}}}});
    config.addFlow({{"id", "forger"},
                    {"retry", {{"maxAttempts", 1}}},
                    {"steps", {{{"id", "read"}, {"component", "testkit"}, {"function", "read-attachments"}}}}});
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());

    const auto accepted =
        request(engine.port(), {"POST", "/hook/files", "raw bytes\x01\x02", "application/octet-stream", {}, false});
    REQUIRE(accepted.status == 202);
    REQUIRE(eventually([&] { return !jsonLines(out).empty(); }));
    const json message = jsonLines(out).at(0).at("message");
    CHECK(message.at("body") == json{{"texts", {"raw bytes\x01\x02"}}});
    const json attachment = message.at("attachments").at(0);

    // Another execution presenting that attachment's reference reads nothing.
    REQUIRE(postJson(engine.port(), "/hook/forger", json{{"attachment", attachment}}.dump()).status == 202);
    REQUIRE(eventually([&] { return queueOf(engine).at("deadLetters") == 1; }));
    CHECK(readFile(config.logFile()).find("does not belong to this execution") != std::string::npos);
    CHECK(engine.terminate() == 0);
}
