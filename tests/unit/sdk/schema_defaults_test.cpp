// The defaults a config schema states are filled in before a step sees its config, by
// the engine and the testkit alike (flowgate/schema_defaults.hpp).
#include <catch2/catch.hpp>

#include "flowgate/schema_defaults.hpp"

using flowgate::withSchemaDefaults;
using nlohmann::json;

TEST_CASE("schema defaults fill what a config leaves out, and only that", "[sdk]") {
    const json schema = json::parse(R"({
      "type": "object",
      "properties": {
        "method": {"enum": ["GET", "POST"], "default": "POST"},
        "timeoutMs": {"type": "integer", "default": 30000},
        "tls": {"type": "object", "default": {},
                "properties": {"verify": {"type": "boolean", "default": true}, "caFile": {}}},
        "branches": {"type": "array",
                     "items": {"type": "object", "properties": {"mode": {"default": "first"}}}},
        "url": {"type": "string"},
        "choice": {"anyOf": [{"properties": {"x": {"default": 1}}}]}
      },
      "allOf": [{"properties": {"level": {"default": "info"}}}]
    })");

    const json filled = withSchemaDefaults(
        schema, {{"method", "GET"}, {"url", "http://a"}, {"branches", {json::object(), {{"mode", "all"}}}},
                 {"choice", json::object()}});
    CHECK(filled == json::parse(R"({
      "method": "GET", "timeoutMs": 30000, "tls": {"verify": true}, "url": "http://a",
      "branches": [{"mode": "first"}, {"mode": "all"}], "choice": {}, "level": "info"
    })"));
    // A nested object that is present gets its own defaults; one written in full is kept.
    CHECK(withSchemaDefaults(schema, {{"tls", {{"caFile", "ca.pem"}}}}).at("tls") ==
          json{{"caFile", "ca.pem"}, {"verify", true}});
    CHECK(withSchemaDefaults(schema, {{"tls", {{"verify", false}}}}).at("tls") ==
          json{{"verify", false}});
    // Not an object, or a schema without properties: unchanged.
    CHECK(withSchemaDefaults(schema, "text") == "text");
    CHECK(withSchemaDefaults(json{{"type", "object"}}, json::object()) == json::object());
}
