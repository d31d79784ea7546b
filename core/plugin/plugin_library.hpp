// Opening one plugin file: load the library, check its ABI key, make its component.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <variant>

#include "flowgate/component.hpp"

namespace flowgate::plugin {

// The component of a loaded plugin. The shared_ptr keeps the library loaded for as long
// as the component, or anything made from it that holds a copy, is alive.
struct LoadedPlugin {
    std::shared_ptr<Component> component;
    std::filesystem::path file;
};

// Loads `file`. The ABI key is compared before any C++ call into the plugin; a mismatch,
// a missing entry point or a failed constructor is returned as a message that names the
// file (and, for an ABI mismatch, both sides' keys). Never throws.
std::variant<LoadedPlugin, std::string> loadPlugin(const std::filesystem::path& file);

// The engine's own ABI key, for messages and `flowgate version`.
const char* engineAbiKey();

}  // namespace flowgate::plugin
