// A JSON Schema (draft 7, through valijson) compiled once: engine.json, flow and
// credential files, and each component function's config and credential types are
// checked with it.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace flowgate::config {

struct SchemaViolation {
    std::string pointer;  // JSON pointer into the validated value ("" is the value itself)
    std::string reason;
};

// Escapes one JSON pointer reference token (RFC 6901: "~" as "~0", "/" as "~1").
std::string pointerToken(std::string_view token);

// Immutable after compile(); validate() is safe to call from several threads.
class ConfigSchema {
public:
    // Throws std::invalid_argument with the parser's reason if `schema` is not a schema.
    static ConfigSchema compile(const nlohmann::json& schema);

    // Every violation found, most specific first; empty if `value` conforms.
    std::vector<SchemaViolation> validate(const nlohmann::json& value) const;

    // `value` with the schema's defaults filled in (flowgate/schema_defaults.hpp, the
    // rule the SDK's testkit applies too); for a value that passed validate().
    nlohmann::json withDefaults(nlohmann::json value) const;

private:
    struct Compiled;
    explicit ConfigSchema(std::shared_ptr<const Compiled> compiled);
    std::shared_ptr<const Compiled> compiled_;
};

}  // namespace flowgate::config
