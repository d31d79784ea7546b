// webhook.wait on its own: config, and what it asks of the engine on each of its runs.
#include <catch2/catch.hpp>

#include "flowgate/testkit.hpp"
#include "unit/plugins/plugin_under_test.hpp"

using namespace std::chrono_literals;
using flowgate::Message;
using flowgate::testing::describe;
using flowgate::testing::hasViolation;
using flowgate::testing::loadRealComponent;
using flowgate::testing::makeStep;
using flowgate::testkit::RecordingStepContext;
using flowgate::testing::violationsOf;
using nlohmann::json;

namespace {

Message messageWithMeta(json meta) {
    Message m;
    m.id = "exec-1";
    m.body = {{"order", 7}};
    m.meta = std::move(meta);
    return m;
}

}  // namespace

TEST_CASE("webhook wait config: valid, invalid and empty", "[plugins][wait]") {
    auto webhook = loadRealComponent("libflowgate-webhook.so", "webhook");
    const auto* wait = webhook->function("wait");
    REQUIRE(wait != nullptr);
    CHECK(wait->spec.pausesExecution);

    CHECK(violationsOf(*webhook, "wait", json::object()).empty());
    CHECK(violationsOf(*webhook, "wait", {{"timeoutMs", 5000}, {"onTimeout", "continue"}}).empty());
    auto violations = violationsOf(*webhook, "wait", {{"timeoutMs", 10}});
    INFO(describe(violations));
    CHECK(hasViolation(violations, "/timeoutMs", "greater than or equal to 1000"));
    violations = violationsOf(*webhook, "wait", {{"onTimeout", "ignore"}});
    CHECK(hasViolation(violations, "/onTimeout", "enum"));
    violations = violationsOf(*webhook, "wait", {{"timeout", 5}});
    CHECK(hasViolation(violations, "", "'timeout'"));
}

TEST_CASE("webhook wait: pause, then go on with the call's body, or time out",
          "[plugins][wait]") {
    auto webhook = loadRealComponent("libflowgate-webhook.so", "webhook");
    RecordingStepContext context;
    context.setStepId("wait");

    SECTION("first run: asks to wait for the configured time, emits nothing") {
        auto step = makeStep(*webhook, "wait", {{"timeoutMs", 5000}});
        REQUIRE(step->execute(messageWithMeta({{"requestId", "exec-1"}}), context).ok);
        REQUIRE(context.waits().size() == 1);
        CHECK(context.waits()[0] == 5000ms);
        CHECK(context.emitted().empty());
    }
    SECTION("resumed: the call's body becomes the message body") {
        auto step = makeStep(*webhook, "wait", json::object());
        const auto input = messageWithMeta(
            {{"resume", {{"step", "wait"}, {"body", {{"approved", true}}}, {"method", "POST"}}}});
        REQUIRE(step->execute(input, context).ok);
        CHECK(context.waits().empty());
        REQUIRE(context.emitted().size() == 1);
        CHECK(context.emitted()[0].output == "default");
        CHECK(context.emitted()[0].message.body == json{{"approved", true}});
        CHECK(context.emitted()[0].message.meta.at("resume").at("method") == "POST");
    }
    SECTION("another step's resume does not count: this one waits") {
        auto step = makeStep(*webhook, "wait", json::object());
        const auto input = messageWithMeta({{"resume", {{"step", "earlier"}, {"body", 1}}}});
        REQUIRE(step->execute(input, context).ok);
        CHECK(context.waits().size() == 1);
        CHECK(context.emitted().empty());
    }
    SECTION("timed out, onTimeout fail: the step fails and says why") {
        auto step = makeStep(*webhook, "wait", {{"timeoutMs", 2000}});
        const auto result = step->execute(messageWithMeta({{"wait", {{"step", "wait"}}}}), context);
        CHECK_FALSE(result.ok);
        CHECK(result.error.find("2000 ms") != std::string::npos);
        CHECK(context.waits().empty());
    }
    SECTION("timed out, onTimeout continue: the message goes to the timeout output") {
        auto step = makeStep(*webhook, "wait", {{"onTimeout", "continue"}});
        REQUIRE(step->execute(messageWithMeta({{"wait", {{"step", "wait"}}}}), context).ok);
        REQUIRE(context.emitted().size() == 1);
        CHECK(context.emitted()[0].output == "timeout");
        CHECK(context.emitted()[0].message.body == json{{"order", 7}});
        CHECK_FALSE(context.emitted()[0].message.meta.contains("wait"));
    }
}
