// What jq filter steps do: pass a message on unchanged, or not, by the program's first output.
#include <catch2/catch.hpp>

#include "flowgate/testkit.hpp"
#include "unit/plugins/plugin_under_test.hpp"

using flowgate::Message;
using flowgate::testing::loadRealComponent;
using flowgate::testing::makeStep;
using flowgate::testkit::RecordingStepContext;
using nlohmann::json;

namespace {

Message order(int amount) {
    Message message;
    message.id = "order-" + std::to_string(amount);
    message.body = {{"amount", amount}, {"currency", "EUR"}};
    message.headers = {{"x-shop", "north"}};
    message.meta = {{"requestId", "req-1"}};
    message.attachments.push_back({"invoice.pdf", "application/pdf", 10, "ab", "ref-9"});
    return message;
}

// Whether the filter passed `input` on, checking that what it passed on is `input` itself.
bool passes(flowgate::Step& step, const Message& input) {
    RecordingStepContext context;
    const auto result = step.execute(input, context);
    INFO(result.error);
    REQUIRE(result.ok);
    if (context.emitted().empty()) return false;
    REQUIRE(context.emitted().size() == 1);
    const Message& output = context.emitted()[0].message;
    CHECK(json(output) == json(input));
    return true;
}

}  // namespace

TEST_CASE("jq filter passes a message on when the program holds", "[plugins][jq]") {
    auto jq = loadRealComponent("libflowgate-jq.so", "jq");
    auto step = makeStep(*jq, "filter", {{"expression", ".amount > 100"}});

    CHECK(passes(*step, order(150)));
    CHECK_FALSE(passes(*step, order(50)));
}

TEST_CASE("jq filter truthiness is jq's: only false and null fail", "[plugins][jq]") {
    auto jq = loadRealComponent("libflowgate-jq.so", "jq");
    struct Case {
        const char* expression;
        bool passes;
    };
    for (const Case& c : {Case{"true", true}, Case{"false", false}, Case{"null", false},
                          Case{"0", true}, Case{"\"\"", true}, Case{"[]", true},
                          Case{".missing", false}, Case{"empty", false},
                          // the first output decides; later ones are never computed
                          Case{"false, true", false}, Case{"true, error(\"later\")", true}}) {
        INFO(c.expression);
        auto step = makeStep(*jq, "filter", {{"expression", c.expression}});
        CHECK(passes(*step, order(1)) == c.passes);
    }
}

TEST_CASE("jq filter run-time errors fail the attempt", "[plugins][jq]") {
    auto jq = loadRealComponent("libflowgate-jq.so", "jq");
    auto step = makeStep(*jq, "filter", {{"expression", ".currency > error(\"no rate\")"}});
    RecordingStepContext context;

    const auto result = step->execute(order(1), context);

    CHECK_FALSE(result.ok);
    CHECK(result.error == "jq: error: no rate");
    CHECK(context.emitted().empty());
}
