// What router steps do with messages: the first or every matching branch gets the message
// unchanged, unmatched messages go to the default output or no further, and a condition
// that fails at run time fails the whole run.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "flowgate/testkit.hpp"
#include "unit/plugins/plugin_under_test.hpp"

using flowgate::LogLevel;
using flowgate::Message;
using flowgate::testing::loadRealComponent;
using flowgate::testing::makeStep;
using flowgate::testkit::RecordingStepContext;
using nlohmann::json;

namespace {

Message order(int amount, const std::string& country) {
    Message message;
    message.id = "req-1/parse/0";
    message.body = {{"amount", amount}, {"country", country}};
    message.headers = {{"x-shop", "north"}};
    message.meta = {{"requestId", "req-1"}, {"flow", "orders"}};
    message.attachments.push_back({"invoice.pdf", "application/pdf", 10, "ab", "ref-9"});
    return message;
}

json orderBranches() {
    return json::array(
        {{{"name", "big"}, {"condition", ".amount >= 1000"}},
         {{"name", "eu"}, {"condition", ".country == \"DE\" or .country == \"FR\""}}});
}

// The outputs `step` sent `input` to, in order, checking every message is `input` itself.
std::vector<std::string> routesOf(flowgate::Step& step, const Message& input,
                                  RecordingStepContext& context) {
    const auto result = step.execute(input, context);
    INFO(result.error);
    REQUIRE(result.ok);
    std::vector<std::string> outputs;
    for (const auto& emitted : context.emitted()) {
        CHECK(json(emitted.message) == json(input));
        CHECK(emitted.forwarded);
        outputs.push_back(emitted.output);
    }
    return outputs;
}

std::vector<std::string> routesOf(flowgate::Step& step, const Message& input) {
    RecordingStepContext context;
    return routesOf(step, input, context);
}

using Outputs = std::vector<std::string>;

}  // namespace

TEST_CASE("router mode first: the first matching branch, in config order", "[router]") {
    auto router = loadRealComponent("libflowgate-router.so", "router");
    auto step = makeStep(*router, "route", {{"branches", orderBranches()}, {"default", "rest"}});

    CHECK(routesOf(*step, order(5000, "DE")) == Outputs{"big"});  // both hold: big comes first
    CHECK(routesOf(*step, order(5000, "US")) == Outputs{"big"});
    CHECK(routesOf(*step, order(10, "FR")) == Outputs{"eu"});
    CHECK(routesOf(*step, order(10, "US")) == Outputs{"rest"});
}

TEST_CASE("router mode all: every matching branch gets the message", "[router]") {
    auto router = loadRealComponent("libflowgate-router.so", "router");
    auto step = makeStep(*router, "route",
                         {{"branches", orderBranches()}, {"default", "rest"}, {"mode", "all"}});

    CHECK(routesOf(*step, order(5000, "DE")) == Outputs{"big", "eu"});
    CHECK(routesOf(*step, order(10, "DE")) == Outputs{"eu"});
    // The default output is only for messages no branch took.
    CHECK(routesOf(*step, order(10, "US")) == Outputs{"rest"});
}

TEST_CASE("router without a default: an unmatched message goes no further", "[router]") {
    auto router = loadRealComponent("libflowgate-router.so", "router");
    auto step = makeStep(*router, "route", {{"branches", orderBranches()}});

    RecordingStepContext context;
    CHECK(routesOf(*step, order(10, "US"), context).empty());
    REQUIRE(context.logs().size() == 1);
    CHECK(context.logs()[0].level == LogLevel::debug);
    CHECK(context.logs()[0].text ==
          "no branch matched and no default: message req-1/parse/0 goes no further");
}

TEST_CASE("router conditions use jq truthiness: only false and null fail", "[router]") {
    auto router = loadRealComponent("libflowgate-router.so", "router");
    struct Case {
        const char* condition;
        bool matches;
    };
    for (const Case& c : {Case{"0", true}, Case{"\"\"", true}, Case{"[]", true},
                          Case{".missing", false}, Case{"empty", false}, Case{"null", false},
                          // the first output decides; later ones are never computed
                          Case{"true, error(\"later\")", true}, Case{"false, true", false}}) {
        INFO(c.condition);
        auto step = makeStep(
            *router, "route",
            {{"branches", {{{"name", "yes"}, {"condition", c.condition}}}}, {"default", "no"}});
        CHECK(routesOf(*step, order(1, "DE")) == Outputs{c.matches ? "yes" : "no"});
    }
}

TEST_CASE("router scope: conditions see the body, or the whole message", "[router]") {
    auto router = loadRealComponent("libflowgate-router.so", "router");

    SECTION("body (default): the message's fields are not there") {
        auto step = makeStep(
            *router, "route",
            {{"branches", {{{"name", "north"}, {"condition", ".headers"}}}}, {"default", "rest"}});
        CHECK(routesOf(*step, order(1, "DE")) == Outputs{"rest"});
    }
    SECTION("message: headers, meta and attachments decide") {
        auto step = makeStep(
            *router, "route",
            {{"scope", "message"},
             {"branches",
              {{{"name", "north"}, {"condition", ".headers[\"x-shop\"] == \"north\""}},
               {{"name", "pdf"},
                {"condition", "any(.attachments[]; .contentType == \"application/pdf\")"}}}},
             {"mode", "all"}});
        CHECK(routesOf(*step, order(1, "DE")) == Outputs{"north", "pdf"});
        Message other = order(1, "DE");
        other.headers = {{"x-shop", "south"}};
        other.attachments.clear();
        CHECK(routesOf(*step, other).empty());
    }
}

TEST_CASE("router: a condition that fails at run time fails the run, emitting nothing",
          "[router]") {
    auto router = loadRealComponent("libflowgate-router.so", "router");
    auto step = makeStep(*router, "route",
                         {{"branches",
                           {{{"name", "a"}, {"condition", ".amount > 0"}},
                            {{"name", "b"}, {"condition", ".country | .code"}}}},
                          {"mode", "all"}});

    RecordingStepContext context;
    const auto result = step->execute(order(5, "DE"), context);
    CHECK_FALSE(result.ok);
    CHECK_THAT(result.error,
               Catch::Contains("jq: error: Cannot index string with string \"code\""));
    // "a" held, but nothing was emitted before every condition had run.
    CHECK(context.emitted().empty());
}

TEST_CASE("router conditions' debug output goes to the step's log", "[router]") {
    auto router = loadRealComponent("libflowgate-router.so", "router");
    auto step = makeStep(
        *router, "route",
        {{"branches", {{{"name", "a"}, {"condition", ".country | debug | . == \"DE\""}}}}});
    RecordingStepContext context;
    CHECK(routesOf(*step, order(5, "DE"), context) == Outputs{"a"});
    REQUIRE(context.logs().size() == 1);
    CHECK(context.logs()[0].level == LogLevel::debug);
    CHECK(context.logs()[0].text == "jq debug: \"DE\"");
}
