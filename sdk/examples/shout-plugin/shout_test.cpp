// Unit tests of the shout step: the built plugin, loaded as the engine loads it, with the
// SDK's testkit standing in for the engine. Run with ctest.
#include <catch2/catch.hpp>

#include "flowgate/testkit.hpp"

using flowgate::testkit::LoadedPlugin;
using flowgate::testkit::RecordingStepContext;

TEST_CASE("mark sets the configured field, \"shout\" by default") {
    LoadedPlugin plugin(SHOUT_PLUGIN);
    RecordingStepContext context;
    flowgate::Message in;
    in.body = {{"title", "hello"}};

    REQUIRE(plugin.makeStep("mark")->execute(in, context).ok);
    REQUIRE(context.emitted().size() == 1);
    CHECK(context.emitted()[0].message.body == nlohmann::json{{"title", "hello"}, {"shout", true}});

    context.clear();
    REQUIRE(plugin.makeStep("mark", {{"field", "loud"}})->execute(in, context).ok);
    CHECK(context.emitted().at(0).message.body["loud"] == true);
}

TEST_CASE("a body that is not an object fails permanently: no retries") {
    LoadedPlugin plugin(SHOUT_PLUGIN);
    RecordingStepContext context;
    flowgate::Message in;
    in.body = "just text";

    const flowgate::StepResult result = plugin.makeStep("mark")->execute(in, context);
    CHECK_FALSE(result.ok);
    CHECK(result.permanent);
    CHECK(result.error == "the body is not a JSON object");
    CHECK(context.emitted().empty());
}
