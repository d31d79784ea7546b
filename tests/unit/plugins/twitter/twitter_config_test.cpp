// The twitter plugin's manifest and the `post` config checks.
#include <catch2/catch.hpp>

#include "unit/plugins/plugin_under_test.hpp"

using flowgate::testing::describe;
using flowgate::testing::loadRealComponent;
using flowgate::testing::refusalOf;
using flowgate::testing::violationsOf;
using nlohmann::json;

TEST_CASE("twitter manifest declares post with an oauth1 credential", "[plugins][twitter]") {
    auto twitter = loadRealComponent("libflowgate-twitter.so", "twitter");
    const auto* post = twitter->function("post");
    REQUIRE(post != nullptr);
    CHECK(post->spec.credentialType == "oauth1");
}

TEST_CASE("twitter post config: valid, invalid and empty", "[plugins][twitter]") {
    auto twitter = loadRealComponent("libflowgate-twitter.so", "twitter");

    SECTION("the empty config is valid: the text comes from the message body") {
        CHECK(violationsOf(*twitter, "post", json::object()).empty());
        CHECK(refusalOf(*twitter, "post", json::object()).empty());
    }
    SECTION("valid configs pass and make a step") {
        for (const auto& config :
             {json{{"text", "Hello"}}, json{{"textExpression", "\"New: \" + .body.title"}},
              json{{"text", std::string(280, 'x')}, {"apiBaseUrl", "http://127.0.0.1:9/"}}}) {
            const auto violations = violationsOf(*twitter, "post", config);
            INFO(config.dump() << "\n" << describe(violations));
            CHECK(violations.empty());
            CHECK(refusalOf(*twitter, "post", config).empty());
        }
    }
    SECTION("both text and textExpression") {
        CHECK_FALSE(
            violationsOf(*twitter, "post", {{"text", "a"}, {"textExpression", ".x"}}).empty());
        CHECK_THAT(refusalOf(*twitter, "post", {{"text", "a"}, {"textExpression", ".x"}}),
                   Catch::Contains("not both"));
    }
    SECTION("wrong types and unknown fields") {
        CHECK_FALSE(violationsOf(*twitter, "post", {{"text", 5}}).empty());
        CHECK_FALSE(violationsOf(*twitter, "post", {{"text", ""}}).empty());
        CHECK_FALSE(violationsOf(*twitter, "post", {{"text", "a"}, {"apiBaseUrl", 1}}).empty());
        CHECK_FALSE(violationsOf(*twitter, "post", {{"text", "a"}, {"media", "x"}}).empty());
    }
    SECTION("createStep refuses what the schema cannot judge") {
        CHECK_THAT(refusalOf(*twitter, "post", {{"text", std::string(281, 'x')}}),
                   Catch::Contains("the tweet text has 281 characters; X allows 280"));
        // 280 characters of two bytes each are still 280 characters.
        std::string accented;
        for (int i = 0; i < 280; ++i) accented += "\xC3\xA9";
        CHECK(refusalOf(*twitter, "post", {{"text", accented}}).empty());
        CHECK_THAT(refusalOf(*twitter, "post", {{"textExpression", ".body.title +"}}),
                   Catch::Contains("syntax error"));
        CHECK_THAT(
            refusalOf(*twitter, "post", {{"text", "a"}, {"apiBaseUrl", "ftp://x.example"}}),
            Catch::Contains("apiBaseUrl 'ftp://x.example' is not an absolute http or https URL"));
        CHECK_THAT(
            refusalOf(*twitter, "post", {{"text", "a"}, {"apiBaseUrl", "https://x.example/?a=b"}}),
            Catch::Contains("without a query"));
    }
}
