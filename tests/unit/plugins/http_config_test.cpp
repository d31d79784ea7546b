// The http plugin's manifest and config checks, through the real plugin library.
#include <catch2/catch.hpp>

#include "support/local_http_server.hpp"
#include "unit/plugins/plugin_under_test.hpp"

using flowgate::testing::describe;
using flowgate::testing::hasViolation;
using flowgate::testing::loadRealComponent;
using flowgate::testing::refusalOf;
using flowgate::testing::violationsOf;
using nlohmann::json;

TEST_CASE("http manifest declares request and authorizedRequest", "[http-plugin]") {
    auto http = loadRealComponent("libflowgate-http.so", "http");
    REQUIRE(http->manifest.functions.size() == 2);
    REQUIRE(http->function("request") != nullptr);
    REQUIRE(http->function("authorizedRequest") != nullptr);
    CHECK(http->manifest.functions[0].credentialType.empty());
    CHECK(http->manifest.functions[1].credentialType == "http-auth");
}

TEST_CASE("http request config: valid, invalid and empty", "[http-plugin]") {
    auto http = loadRealComponent("libflowgate-http.so", "http");

    SECTION("the empty config lacks the url") {
        const auto violations = violationsOf(*http, "request", json::object());
        INFO(describe(violations));
        CHECK(hasViolation(violations, "", "url"));
    }
    SECTION("valid configs pass the schema and make a step") {
        for (const auto& config :
             {json{{"url", "https://api.example.com/v1/items"}},
              json{{"url", "http://example.com"},
                   {"method", "GET"},
                   {"headers", {{"Accept", "application/json"}}}},
              json{{"url", "https://example.com/x"},
                   {"method", "PUT"},
                   {"body", {{"value", {1, 2}}}},
                   {"timeoutMs", 500},
                   {"followRedirects", false},
                   {"failOn4xx", false},
                   {"output", "merge"},
                   {"maxResponseBytes", 1000}},
              json{{"url", "https://example.com/x"},
                   {"body", "none"},
                   {"tls", {{"verify", true}, {"caFile", flowgate::test::testCaFile()}}}},
              json{{"url", "https://example.com/x"},
                   {"method", "DELETE"},
                   {"tls", {{"verify", false}}}}}) {
            const auto violations = violationsOf(*http, "request", config);
            INFO(config.dump() << "\n" << describe(violations));
            CHECK(violations.empty());
            CHECK(refusalOf(*http, "request", config) == "");
        }
    }
    SECTION("schema violations") {
        const auto violations = violationsOf(*http, "request",
                                             {{"url", "ftp://example.com"},
                                              {"method", "BREW"},
                                              {"timeoutMs", 0},
                                              {"body", "everything"},
                                              {"output", "stream"},
                                              {"headers", {{"Bad Name", "x"}}},
                                              {"tls", {{"verify", "yes"}}},
                                              {"extra", 1}});
        INFO(describe(violations));
        CHECK(hasViolation(violations, "/url", "pattern"));
        CHECK(hasViolation(violations, "/method", "enum"));
        CHECK(hasViolation(violations, "/timeoutMs", ""));
        CHECK(hasViolation(violations, "/body", ""));
        CHECK(hasViolation(violations, "/output", "enum"));
        CHECK(hasViolation(violations, "/tls/verify", "type"));
        CHECK(hasViolation(violations, "", "'extra'"));
    }
    SECTION("what only createStep can judge") {
        CHECK_THAT(refusalOf(*http, "request", {{"url", "http://user:pw@example.com/"}}),
                   Catch::StartsWith("url: ") && Catch::Contains("user information") &&
                       !Catch::Contains("pw@"));
        CHECK_THAT(
            refusalOf(*http, "request",
                      {{"url", "http://example.com/"}, {"method", "GET"}, {"body", "message"}}),
            Catch::Equals("body: a GET request carries no body"));
        CHECK_THAT(
            refusalOf(*http, "request",
                      {{"url", "http://example.com/"}, {"headers", {{"Host", "other.example"}}}}),
            Catch::Contains("headers: 'Host' is set by the HTTP client"));
        CHECK_THAT(
            refusalOf(*http, "request",
                      {{"url", "http://example.com/"}, {"headers", {{"X-A", "a\r\nX-B: b"}}}}),
            Catch::Contains("line break"));
        CHECK_THAT(refusalOf(*http, "request",
                             {{"url", "https://example.com/"},
                              {"tls", {{"caFile", "/nonexistent/ca.pem"}}}}),
                   Catch::StartsWith("tls.caFile: "));
    }
}
