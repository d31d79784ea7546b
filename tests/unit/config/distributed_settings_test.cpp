#include <catch2/catch.hpp>

#include <cstdlib>
#include <set>

#include "config/distributed_settings.hpp"
#include "config/engine_config.hpp"
#include "support/temp_dir.hpp"

using namespace flowgate::config;
using nlohmann::json;

namespace {

std::optional<DistributedSettings> read(const json& doc, ConfigErrors& errors,
                                        const std::filesystem::path& dir = "/nonexistent") {
    return distributedSettingsFrom(doc, dir, "engine.json", errors);
}

}  // namespace

TEST_CASE("distributed settings: no queue type is the embedded queue") {
    ConfigErrors errors;
    CHECK_FALSE(read(json::object(), errors));
    CHECK_FALSE(read({{"queue", {{"maxItems", 5}}}}, errors));
    CHECK_FALSE(read({{"queue", {{"type", "sqlite"}}}}, errors));
    CHECK(errors.empty());
}

TEST_CASE("distributed settings: rabbitmq with postgres, secrets from env and file") {
    flowgate::test::TempDir dir;
    flowgate::test::writeFile(dir / "pg-url", "postgresql://fg:pw@127.0.0.1:5432/fg\n");
    ::setenv("FLOWGATE_TEST_AMQP_URL", "amqp://fg:secret@127.0.0.1:5672/", 1);
    ConfigErrors errors;
    auto settings = read({{"queue",
                           {{"type", "rabbitmq"},
                            {"url", {{"env", "FLOWGATE_TEST_AMQP_URL"}}},
                            {"prefetch", 8},
                            {"confirmTimeoutMs", 2000}}},
                          {"state", {{"type", "postgres"}, {"url", {{"file", "pg-url"}}}}}},
                         errors, dir.path());
    REQUIRE(errors.empty());
    REQUIRE(settings);
    CHECK(settings->brokerUrl == "amqp://fg:secret@127.0.0.1:5672/");
    CHECK(settings->stateUrl == "postgresql://fg:pw@127.0.0.1:5432/fg");
    CHECK(settings->prefetch == 8);
    CHECK(settings->confirmTimeout == std::chrono::milliseconds(2000));
    CHECK(settings->prefix == "flowgate");
    ::unsetenv("FLOWGATE_TEST_AMQP_URL");
}

TEST_CASE("distributed settings: one without the other, a wrong scheme, an unset secret") {
    SECTION("rabbitmq without state") {
        ConfigErrors errors;
        CHECK_FALSE(read({{"queue", {{"type", "rabbitmq"}, {"url", "amqp://h/"}}}}, errors));
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].pointer == "/state");
    }
    SECTION("state without rabbitmq") {
        ConfigErrors errors;
        CHECK_FALSE(read({{"state", {{"type", "postgres"}, {"url", "postgresql://h/db"}}}}, errors));
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].pointer == "/state");
    }
    SECTION("a wrong scheme names the pointer, never the URL") {
        ConfigErrors errors;
        CHECK_FALSE(read({{"queue", {{"type", "rabbitmq"}, {"url", "http://u:hunter2@h/"}}},
                          {"state", {{"type", "postgres"}, {"url", "postgresql://h/db"}}}},
                         errors));
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].pointer == "/queue/url");
        CHECK(errors[0].reason == "must start with amqp://");
        CHECK(errors[0].toString().find("hunter2") == std::string::npos);
    }
    SECTION("an unset variable") {
        ConfigErrors errors;
        CHECK_FALSE(read({{"queue", {{"type", "rabbitmq"}, {"url", "amqp://h/"}}},
                          {"state",
                           {{"type", "postgres"}, {"url", {{"env", "FLOWGATE_TEST_UNSET_VAR"}}}}}},
                         errors));
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].pointer == "/state/url");
    }
    SECTION("a missing url") {
        ConfigErrors errors;
        CHECK_FALSE(read({{"queue", {{"type", "rabbitmq"}}},
                          {"state", {{"type", "postgres"}, {"url", "postgresql://h/db"}}}},
                         errors));
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].pointer == "/queue");
    }
}

TEST_CASE("engine.json selects the distributed backend, its schema checks the new keys") {
    flowgate::test::TempDir dir;
    SECTION("rabbitmq and postgres") {
        flowgate::test::writeFile(dir / "engine.json", R"({
          "queue": {"type": "rabbitmq", "url": "amqp://127.0.0.1/", "prefix": "fg-a"},
          "state": {"type": "postgres", "url": "postgresql://127.0.0.1/fg", "connections": 2}})");
        ConfigErrors errors;
        const auto config = loadEngineConfig(dir.path(), errors);
        REQUIRE(errors.empty());
        REQUIRE(config.distributed);
        CHECK(config.distributed->prefix == "fg-a");
        CHECK(config.distributed->stateConnections == 2);
    }
    SECTION("the embedded queue by default") {
        ConfigErrors errors;
        CHECK_FALSE(loadEngineConfig(dir.path(), errors).distributed);
        CHECK(errors.empty());
    }
    SECTION("an unknown queue type and state type are schema errors") {
        flowgate::test::writeFile(dir / "engine.json", R"({
          "queue": {"type": "kafka"}, "state": {"type": "redis"}})");
        ConfigErrors errors;
        CHECK_FALSE(loadEngineConfig(dir.path(), errors).distributed);
        REQUIRE(errors.size() >= 2);
        std::set<std::string> pointers;
        for (const auto& e : errors) pointers.insert(e.pointer);
        CHECK(pointers.count("/queue/type"));
        CHECK(pointers.count("/state/type"));
    }
}
