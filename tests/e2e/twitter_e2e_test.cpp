// End to end: a real flow webhook -> twitter post -> logger in the real engine, against a
// fake X API on loopback that checks every request's OAuth 1.0a signature itself. The
// credential's secrets come from a file and an environment variable, as deployed.
#include <cstdlib>
#include <set>

#include <catch2/catch.hpp>

#include "support/engine_process.hpp"
#include "support/fake_x_api.hpp"
#include "support/http_client.hpp"
#include "support/test_config.hpp"

using namespace flowgate::test;
using nlohmann::json;

namespace {

const XApiKeys kKeys{"e2e-consumer-key", "e2e consumer secret!", "99-e2e-access-token",
                     "e2e*access*token*secret"};

void addTwitterCredential(const TestConfig& config) {
    writeFile(config.configDir() / "credentials" / "x-consumer.secret",
              kKeys.consumerSecret + "\n");
    ::setenv("FLOWGATE_E2E_X_TOKEN_SECRET", kKeys.accessTokenSecret.c_str(), 1);
    config.addCredential({{"id", "my-x"},
                          {"type", "oauth1"},
                          {"consumerKey", kKeys.consumerKey},
                          {"consumerSecret", {{"file", "x-consumer.secret"}}},
                          {"accessToken", kKeys.accessToken},
                          {"accessTokenSecret", {{"env", "FLOWGATE_E2E_X_TOKEN_SECRET"}}}});
}

json blogToTwitter(const std::string& apiBaseUrl, const std::filesystem::path& out) {
    return {{"id", "blog-to-twitter"},
            {"steps",
             {{{"id", "tweet"},
               {"component", "twitter"},
               {"function", "post"},
               {"credential", "my-x"},
               {"config",
                {{"textExpression", "\"New on the blog: \" + .body.title"},
                 {"apiBaseUrl", apiBaseUrl}}}},
              {{"id", "log"},
               {"component", "logger"},
               {"function", "log"},
               {"config", {{"file", out.string()}}}}}}};
}

}  // namespace

TEST_CASE("a webhook becomes a signed tweet and the created tweet is logged", "[e2e][twitter]") {
    FakeXApi api(kKeys);
    TestConfig config(json{{"network", {{"allowPrivateAddresses", true}}}});
    addTwitterCredential(config);
    const auto out = config.file("tweets.log");
    config.addFlow(blogToTwitter(api.baseUrl(), out));
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());

    for (const std::string title : {"Hello, world", "Ünïcode & 100% +symbols!"})
        REQUIRE(postJson(engine.port(), "/hook/blog-to-twitter", json{{"title", title}}.dump())
                    .status == 202);

    REQUIRE(eventually([&] { return jsonLines(out).size() == 2; }));
    std::set<std::string> logged;
    for (const auto& line : jsonLines(out)) {
        const json body = line.at("message").at("body");
        CHECK(body.at("id").is_string());
        logged.insert(body.at("text").get<std::string>());
    }
    CHECK(logged == std::set<std::string>{"New on the blog: Hello, world",
                                          "New on the blog: Ünïcode & 100% +symbols!"});
    const auto seen = api.seen();
    REQUIRE(seen.size() == 2);
    for (const auto& request : seen) CHECK(request.signatureProblem.empty());
    const std::string log = readFile(config.logFile());
    CHECK(log.find(kKeys.consumerSecret) == std::string::npos);
    CHECK(log.find(kKeys.accessTokenSecret) == std::string::npos);
}

TEST_CASE("a rate-limited tweet waits for the reset, then posts", "[e2e][twitter]") {
    FakeXApi api(kKeys);
    const auto reset = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count() +
                       1;
    api.script({{429,
                 {{"x-rate-limit-reset", std::to_string(reset)}},
                 R"({"title":"Too Many Requests"})"}});
    TestConfig config(json{{"network", {{"allowPrivateAddresses", true}}},
                           {"retry", {{"maxAttempts", 1}}}});  // a 429 must not use up attempts
    addTwitterCredential(config);
    const auto out = config.file("tweets.log");
    config.addFlow(blogToTwitter(api.baseUrl(), out));
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());

    const auto started = std::chrono::steady_clock::now();
    REQUIRE(postJson(engine.port(), "/hook/blog-to-twitter", R"({"title":"later"})").status == 202);
    REQUIRE(eventually([&] { return jsonLines(out).size() == 1; }));
    CHECK(std::chrono::steady_clock::now() - started >= std::chrono::seconds(1));
    CHECK(api.seen().size() == 2);
    CHECK(api.posted() == std::vector<std::string>{"New on the blog: later"});
}

TEST_CASE("a tweet refused with 403 is dead-lettered with X's reason", "[e2e][twitter]") {
    FakeXApi api(kKeys);
    const CannedResponse duplicate{
        403,
        {},
        R"({"title":"Forbidden","detail":"You are not allowed to create a Tweet with duplicate content.","status":403})"};
    api.script({duplicate, duplicate, duplicate});
    TestConfig config(json{{"network", {{"allowPrivateAddresses", true}}}});
    addTwitterCredential(config);
    const auto out = config.file("tweets.log");
    config.addFlow(blogToTwitter(api.baseUrl(), out));
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());

    REQUIRE(postJson(engine.port(), "/hook/blog-to-twitter", R"({"title":"again"})").status == 202);
    REQUIRE(eventually([&] {
        return request(engine.adminPort(), {"GET", "/readyz", "", "", {}, false})
                   .json()
                   .at("queue")
                   .at("deadLetters") == 1;
    }));
    CHECK(jsonLines(out).empty());
    CHECK(api.seen().size() == 1);  // a refusal is final: not sent again
    CHECK(readFile(config.logFile()).find("duplicate content") != std::string::npos);
}
