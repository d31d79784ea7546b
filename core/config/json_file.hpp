// Reading a JSON configuration file into a document, or a ConfigError saying why not.
#pragma once

#include <filesystem>
#include <optional>

#include <nlohmann/json.hpp>

#include "config/config_error.hpp"
#include "config/config_schema.hpp"

namespace flowgate::config {

// Parses `file`; on failure appends one error (unreadable, or the parser's position and
// reason) to `errors` and returns nullopt.
std::optional<nlohmann::json> readJsonFile(const std::filesystem::path& file, ConfigErrors& errors);

// Appends one error per schema violation, with pointers prefixed by `pointerPrefix`.
// Returns true if there was none.
bool checkSchema(const ConfigSchema& schema, const nlohmann::json& value,
                 const std::string& file, const std::string& pointerPrefix, ConfigErrors& errors);


}  // namespace flowgate::config
