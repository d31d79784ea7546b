// The router plugin's manifest and config checks: the schema the engine validates `route`
// configs against, and what createStep refuses (conditions that do not compile, names
// used twice).
#include <catch2/catch.hpp>

#include "plugin/function_outputs.hpp"
#include "unit/plugins/plugin_under_test.hpp"

using flowgate::testing::describe;
using flowgate::testing::hasViolation;
using flowgate::testing::loadRealComponent;
using flowgate::testing::refusalOf;
using flowgate::testing::violationsOf;
using nlohmann::json;

namespace {

json branch(const std::string& name, const std::string& condition) {
    return {{"name", name}, {"condition", condition}};
}

}  // namespace

TEST_CASE("router manifest declares route, whose outputs come from its config", "[router]") {
    auto router = loadRealComponent("libflowgate-router.so", "router");
    CHECK(router->manifest.name == "router");
    CHECK_FALSE(router->manifest.version.empty());
    REQUIRE(router->manifest.functions.size() == 1);
    const auto* route = router->function("route");
    REQUIRE(route != nullptr);
    CHECK(route->spec.credentialType.empty());

    const json config = {{"branches", {branch("big", ".n > 10"), branch("eu", ".eu")}},
                         {"default", "rest"}};
    CHECK(flowgate::plugin::declaredOutputs(route->spec, config) ==
          std::set<std::string, std::less<>>{"big", "eu", "rest"});
    // Without a default, only the branches are outputs.
    CHECK(flowgate::plugin::declaredOutputs(route->spec, {{"branches", {branch("a", ".")}}}) ==
          std::set<std::string, std::less<>>{"a"});
}

TEST_CASE("router route config: valid, invalid and empty", "[router]") {
    auto router = loadRealComponent("libflowgate-router.so", "router");

    SECTION("valid configs pass") {
        for (const auto& config :
             {json{{"branches", {branch("big", ".amount > 100")}}},
              json{{"branches", {branch("a", ".x"), branch("b-2", ".y")}},
                   {"default", "other"},
                   {"mode", "all"},
                   {"scope", "message"}},
              json{{"branches", {branch("a", ".x")}}, {"default", "a"}, {"mode", "first"}}}) {
            const auto violations = violationsOf(*router, "route", config);
            INFO(config.dump() << "\n" << describe(violations));
            CHECK(violations.empty());
        }
    }
    SECTION("the empty config lacks the branches") {
        const auto violations = violationsOf(*router, "route", json::object());
        INFO(describe(violations));
        CHECK(hasViolation(violations, "", "Missing required property 'branches'"));
    }
    SECTION("no branches at all") {
        const auto violations = violationsOf(*router, "route", {{"branches", json::array()}});
        INFO(describe(violations));
        CHECK(hasViolation(violations, "/branches", "1"));
    }
    SECTION("a branch without a condition") {
        const auto violations = violationsOf(*router, "route", {{"branches", {{{"name", "a"}}}}});
        INFO(describe(violations));
        CHECK(hasViolation(violations, "/branches/0", "Missing required property 'condition'"));
    }
    SECTION("a name that could not be a key of next") {
        const auto violations =
            violationsOf(*router, "route", {{"branches", {branch("/big", ".x")}}});
        INFO(describe(violations));
        CHECK(hasViolation(violations, "/branches/0/name", "pattern"));
        CHECK(hasViolation(
            violationsOf(*router, "route", {{"branches", {branch("a", ".x")}}, {"default", ""}}),
            "/default", "pattern"));
    }
    SECTION("an empty condition") {
        CHECK(hasViolation(violationsOf(*router, "route", {{"branches", {branch("a", "")}}}),
                           "/branches/0/condition", "no fewer than 1"));
    }
    SECTION("an unknown mode or scope") {
        const json base = {{"branches", {branch("a", ".x")}}};
        json mode = base, scope = base;
        mode["mode"] = "some";
        scope["scope"] = "headers";
        CHECK(hasViolation(violationsOf(*router, "route", mode), "/mode", "enum"));
        CHECK(hasViolation(violationsOf(*router, "route", scope), "/scope", "enum"));
    }
    SECTION("an unknown field") {
        const auto violations =
            violationsOf(*router, "route", {{"branches", {branch("a", ".x")}}, {"fallback", "b"}});
        INFO(describe(violations));
        CHECK(hasViolation(violations, "", "'fallback'"));
    }
}

TEST_CASE("router createStep refuses bad conditions and names used twice", "[router]") {
    auto router = loadRealComponent("libflowgate-router.so", "router");

    SECTION("a condition that does not compile names its branch and carries jq's message") {
        const std::string error = refusalOf(
            *router, "route", {{"branches", {branch("ok", ".a"), branch("broken", ".a >")}}});
        INFO(error);
        CHECK_THAT(error, Catch::StartsWith("branch 1 ('broken'): jq expression does not compile"));
        CHECK_THAT(error, Catch::Contains("syntax error"));
    }
    SECTION("an undefined function") {
        CHECK_THAT(refusalOf(*router, "route", {{"branches", {branch("a", "nosuch(1)")}}}),
                   Catch::Contains("nosuch/1 is not defined"));
    }
    SECTION("two branches with the same name") {
        const std::string error =
            refusalOf(*router, "route",
                      {{"branches", {branch("a", ".x"), branch("b", ".y"), branch("a", ".z")}}});
        CHECK(error == "branch 2 ('a'): the name 'a' is used twice");
    }
    SECTION("a valid config makes a step") {
        CHECK(refusalOf(*router, "route",
                        {{"branches", {branch("a", ".x"), branch("b", ".y")}}, {"default", "a"}})
                  .empty());
    }
    SECTION("an unknown function") {
        CHECK_THAT(refusalOf(*router, "switch", {{"branches", {branch("a", ".")}}}),
                   Catch::Contains("has no function 'switch'"));
    }
}
