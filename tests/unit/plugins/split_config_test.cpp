// The split plugin's manifest and config checks.
#include <catch2/catch.hpp>

#include "unit/plugins/plugin_under_test.hpp"

using flowgate::testing::describe;
using flowgate::testing::hasViolation;
using flowgate::testing::loadRealComponent;
using flowgate::testing::refusalOf;
using flowgate::testing::violationsOf;
using nlohmann::json;

TEST_CASE("split manifest declares split", "[split]") {
    auto split = loadRealComponent("libflowgate-split.so", "split");
    CHECK(split->manifest.name == "split");
    CHECK_FALSE(split->manifest.version.empty());
    REQUIRE(split->manifest.functions.size() == 1);
    REQUIRE(split->function("split") != nullptr);
    CHECK(split->function("split")->spec.outputs.empty());
    CHECK(split->function("split")->spec.credentialType.empty());
}

TEST_CASE("split config: valid, invalid and empty", "[split]") {
    auto split = loadRealComponent("libflowgate-split.so", "split");

    SECTION("valid configs pass, the empty one too (the body is the array)") {
        for (const auto& config :
             {json::object(), json{{"path", ""}}, json{{"path", "/order/items"}, {"maxItems", 5}},
              json{{"path", "/a~1b/0"}, {"maxItems", 1000000}}}) {
            const auto violations = violationsOf(*split, "split", config);
            INFO(config.dump() << "\n" << describe(violations));
            CHECK(violations.empty());
            CHECK(refusalOf(*split, "split", config).empty());
        }
    }
    SECTION("a path that is not a JSON pointer") {
        const auto violations = violationsOf(*split, "split", {{"path", "items"}});
        INFO(describe(violations));
        CHECK(hasViolation(violations, "/path", "pattern"));
        CHECK(hasViolation(violationsOf(*split, "split", {{"path", 3}}), "/path", "type"));
    }
    SECTION("a path with a bad escape passes the schema but createStep refuses it") {
        const std::string error = refusalOf(*split, "split", {{"path", "/a~2"}});
        INFO(error);
        CHECK_THAT(error, Catch::StartsWith("path '/a~2' is not a JSON pointer"));
    }
    SECTION("maxItems out of range") {
        CHECK(hasViolation(violationsOf(*split, "split", {{"maxItems", 0}}), "/maxItems", "1"));
        CHECK(hasViolation(violationsOf(*split, "split", {{"maxItems", 1000001}}), "/maxItems",
                           "1000000"));
        CHECK(
            hasViolation(violationsOf(*split, "split", {{"maxItems", 2.5}}), "/maxItems", "type"));
    }
    SECTION("an unknown field, or a config that is not an object") {
        CHECK(hasViolation(violationsOf(*split, "split", {{"pointer", "/a"}}), "", "'pointer'"));
        CHECK(hasViolation(violationsOf(*split, "split", json::array()), "", "type"));
    }
}
