// Secrets in configuration are written as references, never inline in flows:
//   {"env": "NAME"}   the value of an environment variable
//   {"file": "path"}  the contents of a file (relative to the referring file's folder),
//                     without its trailing newline
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "config/config_error.hpp"

namespace flowgate::config {

// Replaces every secret reference inside `value` (at any depth) by the secret's value.
// An unset variable or unreadable file appends an error naming the reference (never a
// secret) at its pointer below `pointer`.
void resolveSecretRefs(nlohmann::json& value, const std::filesystem::path& baseDir,
                       const std::string& file, const std::string& pointer, ConfigErrors& errors);

}  // namespace flowgate::config
