// The logger plugin's manifest and config checks.
#include <catch2/catch.hpp>

#include "support/temp_dir.hpp"
#include "unit/plugins/plugin_under_test.hpp"

using flowgate::testing::describe;
using flowgate::testing::hasViolation;
using flowgate::testing::loadRealComponent;
using flowgate::testing::refusalOf;
using flowgate::test::TempDir;
using flowgate::testing::violationsOf;
using nlohmann::json;

TEST_CASE("logger manifest declares log", "[plugins][logger]") {
    auto logger = loadRealComponent("libflowgate-logger.so", "logger");
    CHECK(logger->manifest.name == "logger");
    REQUIRE(logger->manifest.functions.size() == 1);
    CHECK(logger->function("log") != nullptr);
}

TEST_CASE("logger log config: valid, invalid and empty", "[plugins][logger]") {
    auto logger = loadRealComponent("libflowgate-logger.so", "logger");

    SECTION("the empty config is valid: info, to the engine log") {
        CHECK(violationsOf(*logger, "log", json::object()).empty());
    }
    SECTION("valid configs pass") {
        for (const auto& config :
             {json{{"level", "debug"}}, json{{"level", "warning"}, {"prefix", "orders"}},
              json{{"level", "error"}, {"file", "/var/log/flowgate/orders.log"}},
              json{{"file", "relative/orders.log"}}}) {
            const auto violations = violationsOf(*logger, "log", config);
            INFO(config.dump() << "\n" << describe(violations));
            CHECK(violations.empty());
        }
    }
    SECTION("a level that does not exist") {
        const auto violations = violationsOf(*logger, "log", {{"level", "verbose"}});
        INFO(describe(violations));
        CHECK(hasViolation(violations, "/level", "enum"));
    }
    SECTION("fields of the wrong type") {
        const auto violations =
            violationsOf(*logger, "log", {{"level", 3}, {"file", true}, {"prefix", {1}}});
        INFO(describe(violations));
        CHECK(hasViolation(violations, "/level", "type"));
        CHECK(hasViolation(violations, "/file", "type"));
        CHECK(hasViolation(violations, "/prefix", "type"));
    }
    SECTION("an empty file name") {
        const auto violations = violationsOf(*logger, "log", {{"file", ""}});
        INFO(describe(violations));
        CHECK(hasViolation(violations, "/file", "no fewer than 1"));
    }
    SECTION("an unknown field") {
        const auto violations = violationsOf(*logger, "log", {{"path", "/tmp/x.log"}});
        INFO(describe(violations));
        CHECK(hasViolation(violations, "", "'path'"));
    }
}

TEST_CASE("logger createStep refuses a file it cannot open", "[plugins][logger]") {
    auto logger = loadRealComponent("libflowgate-logger.so", "logger");
    TempDir dir;
    const std::string file = (dir / "missing-dir" / "out.log").string();

    const std::string error = refusalOf(*logger, "log", {{"file", file}});

    CHECK_THAT(error, Catch::Contains("cannot open log file " + file));
    CHECK_THAT(error, Catch::Contains("No such file or directory"));
}
