// End to end: the webhook component's `send` in a real engine. Flow "outbox" in one engine
// delivers to flow "inbox" of a second engine, whose trigger checks the Standard Webhooks
// signature with the engine's own verifier, from the same credential file; and a local
// receiver that answers 503 once shows the engine's retry delivering the same webhook-id.
#include <atomic>

#include <catch2/catch.hpp>

#include "support/canned_response.hpp"
#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/local_http_server.hpp"
#include "support/standard_webhooks_check.hpp"
#include "support/test_config.hpp"

using namespace flowgate::test;
using nlohmann::json;

namespace {

const std::string kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

// The secret in a file beside the credential, as it would be deployed.
void addSigningCredential(const TestConfig& config, const std::string& secret) {
    writeFile(config.configDir() / "credentials" / "hooks.secret", secret + "\n");
    config.addCredential({{"id", "hooks"},
                          {"type", "hmac"},
                          {"preset", "standard-webhooks"},
                          {"secrets", {{{"file", "hooks.secret"}}}}});
}

json loggerStep(const std::filesystem::path& out) {
    return {{"id", "log"},
            {"component", "logger"},
            {"function", "log"},
            {"config", {{"file", out.string()}}}};
}

json outboxFlow(const std::string& url, const std::filesystem::path& out) {
    return {{"id", "outbox"},
            {"steps",
             {{{"id", "send"},
               {"component", "webhook"},
               {"function", "send"},
               {"credential", "hooks"},
               {"config", {{"url", url}, {"timeoutMs", 5000}}}},
              loggerStep(out)}}};
}

json healthOf(const EngineProcess& engine) {
    return request(engine.adminPort(), {"GET", "/readyz", "", "", {}, false}).json();
}

const json kAllowLoopback = {{"network", {{"allowPrivateAddresses", true}}}};

}  // namespace

TEST_CASE("webhook send delivers to another engine's signed webhook", "[e2e][webhook]") {
    TestConfig inboxConfig;
    addSigningCredential(inboxConfig, kSecret);
    const auto inboxOut = inboxConfig.file("inbox.log");
    inboxConfig.addFlow({{"id", "inbox"},
                         {"trigger", {{"type", "webhook"}, {"credential", "hooks"}}},
                         {"steps", {loggerStep(inboxOut)}}});
    EngineProcess inbox(inboxConfig.configDir(), allPluginDirs(), inboxConfig.logFile());
    const std::string inboxUrl = "http://127.0.0.1:" + std::to_string(inbox.port()) + "/hook/inbox";

    SECTION("the same secret: delivered, verified, passed on in both flows") {
        TestConfig outboxConfig(kAllowLoopback);
        addSigningCredential(outboxConfig, kSecret);
        const auto outboxOut = outboxConfig.file("outbox.log");
        outboxConfig.addFlow(outboxFlow(inboxUrl, outboxOut));
        EngineProcess outbox(outboxConfig.configDir(), allPluginDirs(), outboxConfig.logFile());

        const auto res = postJson(outbox.port(), "/hook/outbox", R"({"order":42,"city":"Zürich"})");
        REQUIRE(res.status == 202);
        const std::string requestId = res.json().at("requestId");

        REQUIRE(eventually([&] { return jsonLines(inboxOut).size() == 1; }));
        const json received = jsonLines(inboxOut).at(0).at("message");
        CHECK(received.at("body") == json{{"order", 42}, {"city", "Zürich"}});
        CHECK(received.at("headers").at("webhook-id") == requestId + "/send");
        // The signature header is never stored by the receiving engine.
        CHECK_FALSE(received.at("headers").contains("webhook-signature"));

        REQUIRE(eventually([&] { return jsonLines(outboxOut).size() == 1; }));
        CHECK(jsonLines(outboxOut).at(0).at("message").at("body") == received.at("body"));
    }
    SECTION("a different secret: the receiver refuses, the sender dead-letters") {
        TestConfig outboxConfig(kAllowLoopback);
        addSigningCredential(outboxConfig, "whsec_c2Vjb25kLXNlY3JldC1rZXk=");
        const auto outboxOut = outboxConfig.file("outbox.log");
        outboxConfig.addFlow(outboxFlow(inboxUrl, outboxOut));
        EngineProcess outbox(outboxConfig.configDir(), allPluginDirs(), outboxConfig.logFile());

        REQUIRE(postJson(outbox.port(), "/hook/outbox", R"({"order":43})").status == 202);
        REQUIRE(eventually(
            [&] { return healthOf(outbox).at("queue").at("deadLetters").get<int>() == 1; }));
        CHECK(jsonLines(inboxOut).empty());
        CHECK(jsonLines(outboxOut).empty());
        const std::string log = readFile(outboxConfig.logFile());
        CHECK(log.find("answered 401") != std::string::npos);
        CHECK(log.find("c2Vjb25kLXNlY3JldC1rZXk") == std::string::npos);
    }
}

TEST_CASE("webhook send: a 503 is retried by the engine with the same webhook-id",
          "[e2e][webhook]") {
    std::atomic<int> calls{0};
    LocalHttpServer receiver([&](const SeenRequest& seen, Poco::Net::HTTPServerRequest&,
                                 Poco::Net::HTTPServerResponse& response) {
        if (!standardWebhooksProblem(seen, kSecret).empty())
            return sendCanned(response, {401, {}, "{}"});
        sendCanned(response,
                   calls++ == 0 ? CannedResponse{503, {}, "{}"} : CannedResponse{204, {}, ""});
    });
    TestConfig config(kAllowLoopback);
    addSigningCredential(config, kSecret);
    const auto out = config.file("outbox.log");
    config.addFlow(outboxFlow(receiver.url("/deliveries"), out));
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());

    REQUIRE(postJson(engine.port(), "/hook/outbox", R"({"n":1})").status == 202);
    REQUIRE(eventually([&] { return jsonLines(out).size() == 1; }));
    const auto seen = receiver.requests();
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].headers.at("webhook-id") == seen[1].headers.at("webhook-id"));
    for (const auto& request : seen) {
        CHECK(standardWebhooksProblem(request, kSecret).empty());
        CHECK(json::parse(request.body) == json{{"n", 1}});
    }
    CHECK(healthOf(engine).at("queue").at("deadLetters") == 0);
}
