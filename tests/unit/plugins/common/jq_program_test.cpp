// The shared jq helper (plugins/common/jq, target flowgate_plugin_jq) as other plugins use
// it: compile once, then ask for all outputs, exactly one output, or a truth value.
#include <stdexcept>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "jq/jq_program.hpp"

using flowgate::plugins::jq::JqProgram;
using nlohmann::json;

TEST_CASE("JqProgram refuses a program that does not compile", "[jq][jq-program]") {
    CHECK_THROWS_AS(JqProgram("{text: .title"), std::invalid_argument);
    CHECK_THROWS_WITH(JqProgram("nosuchfn(1)"), Catch::Contains("nosuchfn/1 is not defined"));
}

TEST_CASE("JqProgram::onlyOutput gives the one value a program computes", "[jq][jq-program]") {
    const json message = {{"id", "m-1"},
                          {"body", {{"user", "ada"}, {"text", "hello"}}},
                          {"meta", {{"flow", "tweets"}}}};

    SECTION("one output") {
        JqProgram text(R"jq("\(.body.user) says \(.body.text)")jq");
        CHECK(text.onlyOutput(message) == "ada says hello");
        // The program is reusable: a second run sees only its own input.
        CHECK(text.onlyOutput({{"body", {{"user", "bob"}, {"text", "hi"}}}}) == "bob says hi");
    }
    SECTION("a missing field is null, which is still one output") {
        CHECK(JqProgram(".body.missing").onlyOutput(message).is_null());
    }
    SECTION("no output") {
        CHECK_THROWS_WITH(JqProgram(".body.text | select(. == \"bye\")").onlyOutput(message),
                          "jq program produced no output");
    }
    SECTION("more than one output; the third is never computed") {
        CHECK_THROWS_WITH(JqProgram(".body.user, .body.text, error(\"third\")").onlyOutput(message),
                          "jq program produced more than one output");
    }
    SECTION("a run-time error carries jq's message") {
        CHECK_THROWS_WITH(JqProgram(".body.text | .x").onlyOutput(message),
                          Catch::Contains("jq: error: Cannot index string with string \"x\""));
    }
    SECTION("debug output goes to the sink, or nowhere without one") {
        std::vector<std::string> shown;
        JqProgram program(".body.user | debug");
        CHECK(program.onlyOutput(message, [&](std::string_view t) { shown.emplace_back(t); }) ==
              "ada");
        CHECK(shown == std::vector<std::string>{"jq debug: \"ada\""});
        CHECK(program.onlyOutput(message) == "ada");
        CHECK(shown.size() == 1);
    }
}

TEST_CASE("JqProgram::outputs and firstOutputIsTruthy", "[jq][jq-program]") {
    JqProgram each(".[]");
    CHECK(each.outputs(json::array({1, 2, 3}), 10) == std::vector<json>{1, 2, 3});
    CHECK_THROWS_WITH(each.outputs(json::array({1, 2, 3}), 2),
                      "jq program produced more than 2 outputs");
    CHECK(JqProgram(".n > 1").firstOutputIsTruthy({{"n", 2}}));
    CHECK_FALSE(JqProgram(".n > 1").firstOutputIsTruthy({{"n", 1}}));
}
