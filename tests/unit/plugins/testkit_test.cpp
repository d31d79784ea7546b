// The testkit fixture plugin, which engine tests rely on to fail, sleep and retry on command.
#include <chrono>
#include <filesystem>

#include <catch2/catch.hpp>

#include "flowgate/testkit.hpp"
#include "plugin/component_registry.hpp"
#include "support/build_paths.hpp"
#include "unit/plugins/plugin_under_test.hpp"

using flowgate::Message;
using flowgate::testing::hasViolation;
using flowgate::testing::makeStep;
using flowgate::testkit::RecordingStepContext;
using flowgate::testing::violationsOf;
using nlohmann::json;

namespace {

std::shared_ptr<const flowgate::plugin::RegisteredComponent> loadTestkit() {
    flowgate::plugin::ComponentRegistry registry;
    const auto error = registry.loadFile(
        std::filesystem::path(flowgate::test::paths::testPluginDir) / "libflowgate-testkit.so");
    INFO(error);
    REQUIRE(error.empty());
    return registry.find("testkit");
}

Message sample() {
    Message message;
    message.id = std::string("testkit-sample");
    message.body = {{"x", 1}};
    return message;
}

}  // namespace

TEST_CASE("testkit configs", "[plugins][testkit]") {
    auto testkit = loadTestkit();
    CHECK(violationsOf(*testkit, "fail", json::object()).empty());
    CHECK(violationsOf(*testkit, "fail", {{"times", 2}, {"message", "boom"}}).empty());
    CHECK(hasViolation(violationsOf(*testkit, "fail", {{"times", -1}}), "/times", "greater"));
    CHECK(hasViolation(violationsOf(*testkit, "fail", {{"times", 1.5}}), "/times", "type"));
    CHECK(hasViolation(violationsOf(*testkit, "sleep", json::object()), "",
                       "Missing required property 'ms'"));
    CHECK(hasViolation(violationsOf(*testkit, "retry-later", {{"times", 1}}), "",
                       "Missing required property 'delayMs'"));
}

TEST_CASE("testkit fail throws while the attempt is at most times", "[plugins][testkit]") {
    auto testkit = loadTestkit();
    RecordingStepContext context;

    SECTION("with times") {
        auto step = makeStep(*testkit, "fail", {{"times", 2}, {"message", "planned"}});
        for (int attempt = 1; attempt <= 2; ++attempt) {
            const auto result = step->execute(sample(), context.setAttempt(attempt));
            CHECK_FALSE(result.ok);
            CHECK(result.error == "planned");
        }
        REQUIRE(step->execute(sample(), context.setAttempt(3)).ok);
        REQUIRE(context.emitted().size() == 1);
        CHECK(json(context.emitted()[0].message) == json(sample()));
    }
    SECTION("without times, always, with the default message") {
        auto step = makeStep(*testkit, "fail", json::object());
        const auto result = step->execute(sample(), context.setAttempt(100));
        CHECK_FALSE(result.ok);
        CHECK(result.error == "testkit failure");
    }
}

TEST_CASE("testkit sleep holds the message, then passes it on", "[plugins][testkit]") {
    auto testkit = loadTestkit();
    auto step = makeStep(*testkit, "sleep", {{"ms", 50}});
    RecordingStepContext context;

    const auto start = std::chrono::steady_clock::now();
    REQUIRE(step->execute(sample(), context).ok);
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(50));
    CHECK(context.emitted().size() == 1);
}

TEST_CASE("testkit retry-later asks for retries on the step's first runs", "[plugins][testkit]") {
    auto testkit = loadTestkit();
    auto step = makeStep(*testkit, "retry-later", {{"times", 2}, {"delayMs", 25}});
    RecordingStepContext context;

    for (int run = 0; run < 2; ++run) REQUIRE(step->execute(sample(), context).ok);
    CHECK(context.emitted().empty());
    REQUIRE(context.retries().size() == 2);
    CHECK(context.retries()[0].delay == std::chrono::milliseconds(25));

    REQUIRE(step->execute(sample(), context).ok);
    CHECK(context.retries().size() == 2);
    CHECK(context.emitted().size() == 1);
}
