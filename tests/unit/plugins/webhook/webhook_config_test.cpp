// The webhook plugin's manifest and the `send` config checks.
#include <catch2/catch.hpp>

#include "unit/plugins/plugin_under_test.hpp"

using flowgate::testing::describe;
using flowgate::testing::hasViolation;
using flowgate::testing::loadRealComponent;
using flowgate::testing::refusalOf;
using flowgate::testing::violationsOf;
using nlohmann::json;

TEST_CASE("webhook manifest declares send with an hmac credential", "[plugins][webhook]") {
    auto webhook = loadRealComponent("libflowgate-webhook.so", "webhook");
    const auto* send = webhook->function("send");
    REQUIRE(send != nullptr);
    CHECK(send->spec.credentialType == "hmac");
}

TEST_CASE("webhook send config: valid, invalid and empty", "[plugins][webhook]") {
    auto webhook = loadRealComponent("libflowgate-webhook.so", "webhook");

    SECTION("the empty config lacks the url") {
        const auto violations = violationsOf(*webhook, "send", json::object());
        INFO(describe(violations));
        CHECK(hasViolation(violations, "", "url"));
    }
    SECTION("valid configs pass and make a step") {
        for (const auto& config : {json{{"url", "https://hooks.example/in"}},
                                   json{{"url", "http://127.0.0.1:9/x?token=a"},
                                        {"headers", {{"X-Source", "flowgate"}}},
                                        {"timeoutMs", 5000}}}) {
            const auto violations = violationsOf(*webhook, "send", config);
            INFO(config.dump() << "\n" << describe(violations));
            CHECK(violations.empty());
            CHECK(refusalOf(*webhook, "send", config).empty());
        }
    }
    SECTION("fields of the wrong type or range") {
        const auto violations = violationsOf(
            *webhook, "send", {{"url", 1}, {"headers", {{"X-A", 2}}}, {"timeoutMs", 0}});
        INFO(describe(violations));
        CHECK(hasViolation(violations, "/url", "type"));
        CHECK(hasViolation(violations, "/headers/X-A", "type"));
        CHECK(hasViolation(violations, "/timeoutMs", "0"));
    }
    SECTION("a header name that is not a token, and unknown fields") {
        CHECK_FALSE(violationsOf(*webhook, "send",
                                 {{"url", "https://a.example"}, {"headers", {{"Bad Name", "x"}}}})
                        .empty());
        const auto violations =
            violationsOf(*webhook, "send", {{"url", "https://a.example"}, {"method", "PUT"}});
        INFO(describe(violations));
        CHECK(hasViolation(violations, "", "'method'"));
    }
    SECTION("createStep refuses what the schema cannot judge") {
        CHECK_THAT(refusalOf(*webhook, "send", {{"url", "ftp://files.example/in"}}),
                   Catch::Contains("not an absolute http or https URL"));
        CHECK_THAT(refusalOf(*webhook, "send", {{"url", "/relative/path"}}),
                   Catch::Contains("not an absolute http or https URL"));
        CHECK_THAT(
            refusalOf(*webhook, "send",
                      {{"url", "https://a.example"}, {"headers", {{"Webhook-Signature", "x"}}}}),
            Catch::Contains("header 'Webhook-Signature' is set by the step itself"));
        CHECK_THAT(refusalOf(*webhook, "send",
                             {{"url", "https://a.example"}, {"headers", {{"content-type", "x"}}}}),
                   Catch::Contains("is set by the step itself"));
    }
}
