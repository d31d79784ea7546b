// ConfigSchema: compiling manifests' schemas, and reporting violations as JSON pointers
// and reasons a user can act on.
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "config/config_schema.hpp"

using flowgate::config::ConfigSchema;
using flowgate::config::SchemaViolation;
using nlohmann::json;

namespace {

const json kHttpSchema = json::parse(R"json({
    "type": "object",
    "properties": {
        "url": {"type": "string", "minLength": 1},
        "server": {
            "type": "object",
            "properties": {"port": {"type": "integer", "minimum": 1, "maximum": 65535}},
            "additionalProperties": false
        },
        "headers": {"type": "array", "items": {"type": "string"}},
        "a/b": {"type": "string"},
        "m~n": {"type": "string"}
    },
    "required": ["url"],
    "additionalProperties": false
})json");

std::string describe(const std::vector<SchemaViolation>& violations) {
    std::string text;
    for (const auto& v : violations) text += "'" + v.pointer + "': " + v.reason + "\n";
    return text;
}

}  // namespace

TEST_CASE("ConfigSchema accepts a conforming value", "[config]") {
    const auto schema = ConfigSchema::compile(kHttpSchema);
    CHECK(schema.validate({{"url", "https://example.org"}}).empty());
    CHECK(schema.validate({{"url", "u"}, {"server", {{"port", 8080}}}, {"headers", {"a"}}})
              .empty());
}

TEST_CASE("ConfigSchema points at the offending value", "[config]") {
    const auto schema = ConfigSchema::compile(kHttpSchema);

    SECTION("a top-level property: /url") {
        const auto violations = schema.validate({{"url", 42}});
        INFO(describe(violations));
        REQUIRE(violations.size() == 1);
        CHECK(violations[0].pointer == "/url");
        CHECK(violations[0].reason == "Value type not permitted by 'type' constraint.");
    }
    SECTION("a nested property: /server/port, reported once, without enclosing summaries") {
        const auto violations = schema.validate({{"url", "u"}, {"server", {{"port", 70000}}}});
        INFO(describe(violations));
        REQUIRE(violations.size() == 1);
        CHECK(violations[0].pointer == "/server/port");
        // valijson prints the bound as a double: "65535.000000".
        CHECK_THAT(violations[0].reason,
                   Catch::StartsWith("Expected number less than or equal to 65535"));
    }
    SECTION("an array item: /headers/1") {
        const auto violations = schema.validate({{"url", "u"}, {"headers", {"ok", 5}}});
        INFO(describe(violations));
        REQUIRE(violations.size() == 1);
        CHECK(violations[0].pointer == "/headers/1");
    }
    SECTION("'/' and '~' in names are escaped as ~1 and ~0") {
        const auto violations = schema.validate({{"url", "u"}, {"a/b", 1}, {"m~n", 2}});
        INFO(describe(violations));
        REQUIRE(violations.size() == 2);
        CHECK(violations[0].pointer != violations[1].pointer);
        for (const auto& v : violations) CHECK((v.pointer == "/a~1b" || v.pointer == "/m~0n"));
    }
    SECTION("a missing required property is reported at its object") {
        const auto violations = schema.validate(json::object());
        INFO(describe(violations));
        REQUIRE(violations.size() == 1);
        CHECK(violations[0].pointer == "");
        CHECK(violations[0].reason == "Missing required property 'url'.");
    }
    SECTION("an unknown property is reported at its object, by name") {
        const auto violations =
            schema.validate({{"url", "u"}, {"server", {{"port", 1}, {"host", "h"}}}});
        INFO(describe(violations));
        REQUIRE(violations.size() == 1);
        CHECK(violations[0].pointer == "/server");
        CHECK_THAT(violations[0].reason, Catch::Contains("'host'"));
    }
    SECTION("every violation is reported, not just the first") {
        const auto violations =
            schema.validate({{"url", ""}, {"server", {{"port", 0}}}, {"headers", "x"}});
        INFO(describe(violations));
        CHECK(violations.size() == 3);
    }
}

TEST_CASE("ConfigSchema strong types: integers are not strings, 1.5 is not an integer",
          "[config]") {
    const auto schema = ConfigSchema::compile(kHttpSchema);
    CHECK_FALSE(schema.validate({{"url", "u"}, {"server", {{"port", "80"}}}}).empty());
    CHECK_FALSE(schema.validate({{"url", "u"}, {"server", {{"port", 80.5}}}}).empty());
    CHECK(schema.validate({{"url", "u"}, {"server", {{"port", 80u}}}}).empty());
}

TEST_CASE("ConfigSchema::compile refuses what is not a schema", "[config]") {
    CHECK_THROWS_AS(ConfigSchema::compile(json::array()), std::invalid_argument);
    CHECK_THROWS_AS(ConfigSchema::compile("object"), std::invalid_argument);
    CHECK_THROWS_AS(ConfigSchema::compile({{"type", "object"}, {"required", "url"}}),
                    std::invalid_argument);
    CHECK_THROWS_WITH(ConfigSchema::compile({{"minLength", "one"}}),
                      Catch::StartsWith("invalid config schema: "));
}

TEST_CASE("ConfigSchema validates from many threads at once", "[config]") {
    const auto schema = ConfigSchema::compile(kHttpSchema);
    std::vector<std::thread> threads;
    std::vector<int> wrong(4, 0);
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 200; ++i) {
                if (!schema.validate({{"url", "u"}, {"server", {{"port", i + 1}}}}).empty())
                    ++wrong[t];
                const auto bad = schema.validate({{"url", "u"}, {"server", {{"port", -i}}}});
                if (bad.size() != 1 || bad[0].pointer != "/server/port") ++wrong[t];
            }
        });
    }
    for (auto& thread : threads) thread.join();
    CHECK(wrong == std::vector<int>(4, 0));
}
