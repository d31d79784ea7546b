// How a JSON Schema's defaults are filled into a config: the engine does it to every step
// config before the component sees it, and the testkit does the same in unit tests, so
// a plugin reads its optional fields without restating their defaults.
#pragma once

#include <nlohmann/json.hpp>

namespace flowgate {

// `value` with the "default" of every property it lacks, for the schema's "properties"
// (and inside nested objects, array elements through "items", and "allOf" parts). A
// property that is present is kept as written. Defaults inside "anyOf", "oneOf" and
// "if" branches are not applied: which branch holds is the validator's business.
inline nlohmann::json withSchemaDefaults(const nlohmann::json& schema, nlohmann::json value) {
    if (!schema.is_object()) return value;
    if (auto all = schema.find("allOf"); all != schema.end() && all->is_array())
        for (const auto& part : *all) value = withSchemaDefaults(part, std::move(value));
    if (value.is_object()) {
        auto properties = schema.find("properties");
        if (properties == schema.end() || !properties->is_object()) return value;
        for (const auto& [name, property] : properties->items()) {
            auto present = value.find(name);
            if (present != value.end())
                *present = withSchemaDefaults(property, std::move(*present));
            else if (property.is_object() && property.contains("default"))
                value[name] = withSchemaDefaults(property, property.at("default"));
        }
    } else if (value.is_array()) {
        auto items = schema.find("items");
        if (items == schema.end() || !items->is_object()) return value;
        for (auto& element : value) element = withSchemaDefaults(*items, std::move(element));
    }
    return value;
}

}  // namespace flowgate
