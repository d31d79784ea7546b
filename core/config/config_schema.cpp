#include "config/config_schema.hpp"

#include <stdexcept>

#include "flowgate/schema_defaults.hpp"

// Without it valijson reports a malformed schema by printing to stderr and calling abort():
// one plugin with a bad manifest would kill the engine. Defined here, in the only file that
// includes valijson, so no other translation unit can see a different definition.
#define VALIJSON_USE_EXCEPTIONS 1
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

namespace flowgate::config {

struct ConfigSchema::Compiled {
    valijson::Schema schema;
    nlohmann::json source;  // for its defaults
};

namespace {

// valijson names a path as {"<root>", "[name]", "[0]", ...}; users read JSON pointers.
std::string toJsonPointer(const std::vector<std::string>& context) {
    std::string pointer;
    for (const auto& part : context) {
        if (part == "<root>") continue;
        std::string token = part;
        if (token.size() >= 2 && token.front() == '[' && token.back() == ']')
            token = token.substr(1, token.size() - 2);
        pointer += '/' + pointerToken(token);
    }
    return pointer;
}

// valijson also reports every enclosing schema that failed because a child did; those
// lines repeat what the child already says.
bool isSummaryOfChild(const std::string& description) {
    return description.rfind("Failed to validate against schema associated with", 0) == 0 ||
           description.rfind("Failed to validate item #", 0) == 0 ||
           description.rfind("Failed to validate against child schema", 0) == 0;
}

// valijson's sentence for an unknown key, said shorter. The pointer stays at the
// enclosing object (where the key is to be removed), the reason names the key.
constexpr std::string_view kUnknownKey =
    "Object contains a property that could not be validated using 'properties' or "
    "'additionalProperties' constraints: ";

SchemaViolation describe(const valijson::ValidationResults::Error& error) {
    const std::string& text = error.description;
    if (text.rfind(kUnknownKey, 0) == 0 && text.ends_with('.'))
        return {
            toJsonPointer(error.context),
            "unknown key " + text.substr(kUnknownKey.size(), text.size() - kUnknownKey.size() - 1)};
    return {toJsonPointer(error.context), text};
}

}  // namespace

std::string pointerToken(std::string_view token) {
    std::string out;
    for (char c : token) {
        if (c == '~') out += "~0";
        else if (c == '/') out += "~1";
        else out += c;
    }
    return out;
}

ConfigSchema::ConfigSchema(std::shared_ptr<const Compiled> compiled)
    : compiled_(std::move(compiled)) {}

ConfigSchema ConfigSchema::compile(const nlohmann::json& schema) {
    if (!schema.is_object()) throw std::invalid_argument("a config schema must be a JSON object");
    auto compiled = std::make_shared<Compiled>();
    try {
        valijson::SchemaParser parser;
        valijson::adapters::NlohmannJsonAdapter adapter(schema);
        parser.populateSchema(adapter, compiled->schema);
    } catch (const std::exception& e) {
        throw std::invalid_argument(std::string("invalid config schema: ") + e.what());
    }
    compiled->source = schema;
    return ConfigSchema(std::move(compiled));
}

std::vector<SchemaViolation> ConfigSchema::validate(const nlohmann::json& value) const {
    valijson::Validator validator(valijson::Validator::kStrongTypes);
    valijson::ValidationResults results;
    valijson::adapters::NlohmannJsonAdapter adapter(value);
    if (validator.validate(compiled_->schema, adapter, &results)) return {};

    std::vector<SchemaViolation> violations;
    std::vector<SchemaViolation> summaries;
    valijson::ValidationResults::Error error;
    while (results.popError(error)) {
        SchemaViolation v = describe(error);
        (isSummaryOfChild(error.description) ? summaries : violations).push_back(std::move(v));
    }
    return violations.empty() ? summaries : violations;
}

nlohmann::json ConfigSchema::withDefaults(nlohmann::json value) const {
    return withSchemaDefaults(compiled_->source, std::move(value));
}

}  // namespace flowgate::config
