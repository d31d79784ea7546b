// End to end: a webhook's message goes through the real http plugin to a local server
// and the response reaches the logger.
#include <catch2/catch.hpp>

#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/local_http_server.hpp"
#include "support/test_config.hpp"

using namespace flowgate::test;
using nlohmann::json;

namespace {

json callAndLogFlow(const std::string& id, const std::string& url,
                    const std::filesystem::path& out) {
    return {{"id", id},
            {"retry", {{"maxAttempts", 1}}},
            {"steps",
             {{{"id", "call"},
               {"component", "http"},
               {"function", "request"},
               {"config", {{"url", url}, {"headers", {{"X-From", "flowgate"}}}}}},
              {{"id", "log"},
               {"component", "logger"},
               {"function", "log"},
               {"config", {{"file", out.string()}}}}}}};
}

}  // namespace

TEST_CASE("webhook -> http request -> logger, with loopback allowed by engine.json",
          "[e2e][http-plugin]") {
    LocalHttpServer upstream(echoHandler());
    TestConfig config(json{{"network", {{"allowAddresses", {"127.0.0.1/32"}}}}});
    const auto out = config.file("out.log");
    config.addFlow(callAndLogFlow("relay", upstream.url("/orders"), out));
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());

    const auto accepted = postJson(engine.port(), "/hook/relay", R"({"order":7})");
    REQUIRE(accepted.status == 202);

    REQUIRE(eventually([&] { return jsonLines(out).size() == 1; }));
    const json body = jsonLines(out).at(0).at("message").at("body");
    CHECK(body.at("status") == 200);
    CHECK(body.at("body").at("method") == "POST");
    CHECK(body.at("body").at("uri") == "/orders");
    CHECK(body.at("body").at("body") == json{{"order", 7}});
    CHECK(body.at("body").at("headers").at("x-from") == "flowgate");
    REQUIRE(upstream.requests().size() == 1);
}

TEST_CASE("without an allowance the engine's http step refuses loopback", "[e2e][http-plugin]") {
    LocalHttpServer upstream(echoHandler());
    TestConfig config;
    const auto out = config.file("out.log");
    config.addFlow(callAndLogFlow("relay", upstream.url("/orders"), out));
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());

    REQUIRE(postJson(engine.port(), "/hook/relay", R"({"order":7})").status == 202);
    REQUIRE(eventually([&] {
        return request(engine.adminPort(), {"GET", "/readyz", "", "", {}, false})
                   .json()["queue"]["deadLetters"] == 1;
    }));
    CHECK(upstream.connections() == 0);
    CHECK(jsonLines(out).empty());
}
