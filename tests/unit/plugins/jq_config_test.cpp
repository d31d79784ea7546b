// The jq plugin's manifest and config checks: the schemas the engine validates step configs
// against, and the programs createStep refuses.
#include <catch2/catch.hpp>

#include "unit/plugins/plugin_under_test.hpp"

using flowgate::testing::describe;
using flowgate::testing::hasViolation;
using flowgate::testing::loadRealComponent;
using flowgate::testing::refusalOf;
using flowgate::testing::violationsOf;
using nlohmann::json;

TEST_CASE("jq manifest declares transform and filter", "[plugins][jq]") {
    auto jq = loadRealComponent("libflowgate-jq.so", "jq");
    CHECK(jq->manifest.name == "jq");
    CHECK_FALSE(jq->manifest.version.empty());
    REQUIRE(jq->manifest.functions.size() == 2);
    CHECK(jq->function("transform") != nullptr);
    CHECK(jq->function("filter") != nullptr);
    CHECK(jq->function("transform")->spec.credentialType.empty());
}

TEST_CASE("jq transform config: valid, invalid and empty", "[plugins][jq]") {
    auto jq = loadRealComponent("libflowgate-jq.so", "jq");

    SECTION("valid configs pass") {
        for (const auto& config : {json{{"expression", "{text: .title}"}},
                                   json{{"expression", "."}, {"scope", "body"}},
                                   json{{"expression", ".meta"}, {"scope", "message"}}}) {
            const auto violations = violationsOf(*jq, "transform", config);
            INFO(config.dump() << "\n" << describe(violations));
            CHECK(violations.empty());
        }
    }
    SECTION("an expression that is not a string") {
        const auto violations = violationsOf(*jq, "transform", {{"expression", 42}});
        INFO(describe(violations));
        CHECK(hasViolation(violations, "/expression", "type"));
    }
    SECTION("an empty expression") {
        const auto violations = violationsOf(*jq, "transform", {{"expression", ""}});
        INFO(describe(violations));
        CHECK(hasViolation(violations, "/expression", "no fewer than 1"));
    }
    SECTION("a scope that is not body or message") {
        const auto violations =
            violationsOf(*jq, "transform", {{"expression", "."}, {"scope", "headers"}});
        INFO(describe(violations));
        CHECK(hasViolation(violations, "/scope", "enum"));
    }
    SECTION("an unknown field") {
        const auto violations =
            violationsOf(*jq, "transform", {{"expression", "."}, {"expresion", "."}});
        INFO(describe(violations));
        CHECK(hasViolation(violations, "", "'expresion'"));
    }
    SECTION("the empty config lacks the expression") {
        const auto violations = violationsOf(*jq, "transform", json::object());
        INFO(describe(violations));
        CHECK(hasViolation(violations, "", "Missing required property 'expression'"));
    }
    SECTION("a config that is not an object") {
        CHECK(hasViolation(violationsOf(*jq, "transform", json::array()), "", "type"));
    }
}

TEST_CASE("jq filter config: valid, invalid and empty", "[plugins][jq]") {
    auto jq = loadRealComponent("libflowgate-jq.so", "jq");

    CHECK(violationsOf(*jq, "filter", {{"expression", ".amount > 100"}}).empty());
    CHECK(hasViolation(violationsOf(*jq, "filter", {{"expression", true}}), "/expression",
                       "type"));
    // filter has no scope: it always reads the body.
    CHECK(hasViolation(violationsOf(*jq, "filter", {{"expression", "."}, {"scope", "body"}}), "",
                       "'scope'"));
    CHECK(hasViolation(violationsOf(*jq, "filter", json::object()), "",
                       "Missing required property 'expression'"));
}

TEST_CASE("jq createStep refuses programs that do not compile, with jq's message",
          "[plugins][jq]") {
    auto jq = loadRealComponent("libflowgate-jq.so", "jq");

    SECTION("a syntax error") {
        const std::string error = refusalOf(*jq, "transform", {{"expression", "{text: .title"}});
        INFO(error);
        CHECK_THAT(error, Catch::Contains("jq: error: syntax error"));
        CHECK_THAT(error, Catch::Contains("compile error"));
    }
    SECTION("an undefined function, in a filter") {
        const std::string error = refusalOf(*jq, "filter", {{"expression", "nosuchfn(1)"}});
        INFO(error);
        CHECK_THAT(error, Catch::Contains("nosuchfn/1 is not defined"));
    }
    SECTION("modules are not found rather than read (jq 1.6 would abort without a path)") {
        const std::string error =
            refusalOf(*jq, "transform", {{"expression", "import \"/etc/passwd\" as $p; ."}});
        INFO(error);
        CHECK_THAT(error, Catch::Contains("module not found"));
    }
    SECTION("a NUL character would silently cut the program short") {
        const std::string error =
            refusalOf(*jq, "transform", {{"expression", std::string(".a\0 | error", 11)}});
        CHECK_THAT(error, Catch::Contains("NUL"));
    }
    SECTION("a program that compiles makes a step") {
        CHECK(refusalOf(*jq, "transform", {{"expression", "{text: .title}"}}).empty());
        CHECK(refusalOf(*jq, "filter", {{"expression", ".ok"}}).empty());
    }
    SECTION("an unknown function") {
        CHECK_THAT(refusalOf(*jq, "map", {{"expression", "."}}),
                   Catch::Contains("has no function 'map'"));
    }
}
