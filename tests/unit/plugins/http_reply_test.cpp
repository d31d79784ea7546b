// The http-reply plugin: its config, and the reply it hands the engine.
#include <catch2/catch.hpp>

#include "flowgate/testkit.hpp"
#include "unit/plugins/plugin_under_test.hpp"

using flowgate::Message;
using flowgate::testing::describe;
using flowgate::testing::hasViolation;
using flowgate::testing::loadRealComponent;
using flowgate::testing::makeStep;
using flowgate::testkit::RecordingStepContext;
using flowgate::testing::violationsOf;
using nlohmann::json;

TEST_CASE("http-reply config: valid, invalid and empty", "[plugins][http-reply]") {
    auto component = loadRealComponent("libflowgate-http-reply.so", "http-reply");
    CHECK(violationsOf(*component, "reply", json::object()).empty());
    CHECK(violationsOf(*component, "reply",
                       {{"status", 201}, {"headers", {{"X-Id", "1"}}}, {"body", {{"ok", true}}}})
              .empty());

    auto violations = violationsOf(*component, "reply", {{"status", 99}});
    INFO(describe(violations));
    CHECK(hasViolation(violations, "/status", "greater than or equal to 100"));
    violations = violationsOf(*component, "reply", {{"status", 600}});
    CHECK(hasViolation(violations, "/status", "less than or equal to 599"));
    violations = violationsOf(*component, "reply", {{"headers", {{"X-Count", 3}}}});
    CHECK(hasViolation(violations, "/headers/X-Count", "type"));
    violations = violationsOf(*component, "reply", {{"code", 200}});
    CHECK(hasViolation(violations, "", "'code'"));
}

TEST_CASE("http-reply answers with the message body or the configured one, and passes the "
          "message on",
          "[plugins][http-reply]") {
    auto component = loadRealComponent("libflowgate-http-reply.so", "http-reply");
    RecordingStepContext context;
    Message input;
    input.id = "m-1";
    input.body = {{"total", 12}};

    SECTION("the body as JSON by default") {
        auto step = makeStep(*component, "reply", {{"status", 201}, {"headers", {{"X-Id", "7"}}}});
        REQUIRE(step->execute(input, context).ok);
        REQUIRE(context.replies().size() == 1);
        const auto& reply = context.replies()[0];
        CHECK(reply.status == 201);
        CHECK(json::parse(reply.body) == json{{"total", 12}});
        CHECK(reply.headers.at("Content-Type") == "application/json");
        CHECK(reply.headers.at("X-Id") == "7");
        REQUIRE(context.emitted().size() == 1);
        CHECK(context.emitted()[0].message.body == input.body);
        CHECK(context.emitted()[0].forwarded);
    }
    SECTION("a configured string body as text") {
        auto step = makeStep(*component, "reply", {{"body", "thanks"}});
        REQUIRE(step->execute(input, context).ok);
        REQUIRE(context.replies().size() == 1);
        CHECK(context.replies()[0].status == 200);
        CHECK(context.replies()[0].body == "thanks");
        CHECK(context.replies()[0].headers.at("Content-Type") == "text/plain; charset=utf-8");
    }
}
