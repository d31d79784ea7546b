// What split steps do: one message per array element with meta.split {index, count}, the
// rest of the message kept; clear failures for what cannot be split.
#include <string>

#include <catch2/catch.hpp>

#include "flowgate/testkit.hpp"
#include "unit/plugins/plugin_under_test.hpp"

using flowgate::Message;
using flowgate::testing::loadRealComponent;
using flowgate::testing::makeStep;
using flowgate::testkit::RecordingStepContext;
using nlohmann::json;

namespace {

Message withBody(json body) {
    Message message;
    message.id = "req-7/shape/0";
    message.body = std::move(body);
    message.headers = {{"x-shop", "north"}};
    message.meta = {{"requestId", "req-7"}, {"flow", "orders"}};
    message.attachments.push_back({"invoice.pdf", "application/pdf", 10, "ab", "ref-9"});
    return message;
}

// The step's failure message; the step must fail.
std::string failureOf(flowgate::Step& step, const Message& input) {
    RecordingStepContext context;
    const auto result = step.execute(input, context);
    CHECK(context.emitted().empty());
    REQUIRE_FALSE(result.ok);
    return result.error;
}

}  // namespace

TEST_CASE("split emits one message per element, in order", "[split]") {
    auto split = loadRealComponent("libflowgate-split.so", "split");
    auto step = makeStep(*split, "split", {{"path", "/order/items"}});
    const json items = json::array({{{"sku", "a"}}, 42, "text", nullptr, json::array({1})});
    const Message input = withBody({{"order", {{"id", 9}, {"items", items}}}});

    RecordingStepContext context;
    const auto result = step->execute(input, context);
    INFO(result.error);
    REQUIRE(result.ok);
    REQUIRE(context.emitted().size() == items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
        INFO(i);
        const auto& emitted = context.emitted()[i];
        CHECK(emitted.output == flowgate::kDefaultOutput);
        CHECK(emitted.message.body == items[i]);
        CHECK(emitted.message.meta == json{{"requestId", "req-7"},
                                           {"flow", "orders"},
                                           {"split", {{"index", i}, {"count", items.size()}}}});
        // The engine derives the emitted ids from this one and the emission index.
        CHECK(emitted.message.id == input.id);
        CHECK(emitted.message.headers == input.headers);
        CHECK(json(emitted.message.attachments) == json(input.attachments));
    }
}

TEST_CASE("split without a path splits the body itself", "[split]") {
    auto split = loadRealComponent("libflowgate-split.so", "split");
    auto step = makeStep(*split, "split", json::object());
    RecordingStepContext context;
    REQUIRE(step->execute(withBody(json::array({"x", "y"})), context).ok);
    REQUIRE(context.emitted().size() == 2);
    CHECK(context.emitted()[1].message.body == "y");
    CHECK(context.emitted()[1].message.meta.at("split") == json{{"index", 1}, {"count", 2}});
}

TEST_CASE("split of an empty array emits nothing", "[split]") {
    auto split = loadRealComponent("libflowgate-split.so", "split");
    auto step = makeStep(*split, "split", {{"path", "/items"}});
    RecordingStepContext context;
    const auto result = step->execute(withBody({{"items", json::array()}}), context);
    CHECK(result.ok);
    CHECK(context.emitted().empty());
}

TEST_CASE("split runs again to the same messages", "[split]") {
    // A re-run after a crash must emit the same messages in the same order, so the engine
    // gives them the same ids.
    auto split = loadRealComponent("libflowgate-split.so", "split");
    auto step = makeStep(*split, "split", {{"path", "/items"}});
    const Message input = withBody({{"items", {1, 2, 3}}});
    RecordingStepContext first, second;
    REQUIRE(step->execute(input, first).ok);
    REQUIRE(step->execute(input, second).ok);
    REQUIRE(first.emitted().size() == 3);
    REQUIRE(second.emitted().size() == 3);
    for (std::size_t i = 0; i < 3; ++i)
        CHECK(json(first.emitted()[i].message) == json(second.emitted()[i].message));
}

TEST_CASE("split fails clearly on what it cannot split", "[split]") {
    auto split = loadRealComponent("libflowgate-split.so", "split");

    SECTION("nothing at the path") {
        auto step = makeStep(*split, "split", {{"path", "/order/items"}});
        CHECK(failureOf(*step, withBody({{"order", {{"id", 1}}}})) ==
              "split: the body has nothing at path '/order/items'");
        CHECK(failureOf(*step, withBody({{"order", "text"}})) ==
              "split: the body has nothing at path '/order/items'");
        CHECK(failureOf(*step, withBody({{"order", json::array({1})}})) ==
              "split: the body has nothing at path '/order/items'");
    }
    SECTION("not an array") {
        auto step = makeStep(*split, "split", {{"path", "/items"}});
        CHECK(failureOf(*step, withBody({{"items", {{"a", 1}}}})) ==
              "split: the value at path '/items' is an object, not an array");
        CHECK(failureOf(*makeStep(*split, "split", json::object()), withBody("text")) ==
              "split: the body is a string, not an array");
    }
    SECTION("more elements than maxItems") {
        auto step = makeStep(*split, "split", {{"path", "/items"}, {"maxItems", 3}});
        CHECK(failureOf(*step, withBody({{"items", {1, 2, 3, 4}}})) ==
              "split: the value at path '/items' has 4 elements, more than maxItems (3)");
        RecordingStepContext context;
        CHECK(step->execute(withBody({{"items", {1, 2, 3}}}), context).ok);
        CHECK(context.emitted().size() == 3);
    }
    SECTION("the default limit is 10000") {
        auto step = makeStep(*split, "split", json::object());
        CHECK(failureOf(*step, withBody(json(std::vector<int>(10001, 0)))) ==
              "split: the body has 10001 elements, more than maxItems (10000)");
        RecordingStepContext context;
        CHECK(step->execute(withBody(json(std::vector<int>(10000, 0))), context).ok);
        CHECK(context.emitted().size() == 10000);
    }
}
