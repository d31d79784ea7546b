// The components the engine knows, from the plugins it loaded.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "flowgate/component.hpp"
#include "config/config_schema.hpp"

namespace flowgate::plugin {

struct RegisteredFunction {
    FunctionSpec spec;
    config::ConfigSchema schema;
    // The schema of spec.credentialType (from the manifest's credentialTypes); none if the
    // function takes no credential.
    std::optional<config::ConfigSchema> credentialSchema;
};

// A loaded component and its compiled manifest. Immutable once registered.
struct RegisteredComponent {
    std::shared_ptr<Component> component;
    std::filesystem::path file;
    Manifest manifest;  // a copy, so reading it is not a call into the plugin
    std::map<std::string, RegisteredFunction, std::less<>> functions;

    const RegisteredFunction* function(std::string_view name) const;

    // Makes a step of `function` from a config that already passed that function's schema.
    // The step keeps this component, and so its library, loaded for as long as it lives,
    // even after the registry is gone. Returns the component's refusal (an unknown
    // function, a jq program that does not compile, ...) as a message. Throws only
    // std::bad_alloc.
    std::variant<std::shared_ptr<Step>, std::string> createStep(
        std::string_view function, const nlohmann::json& config) const;
};

// Thread-safe: flows are built (find, all) on one thread while a reload registers new
// plugins on another. Plugins are never unloaded while the engine runs: a component,
// once registered, stays (see PLATFORM.md on dlclose), and a changed library file cannot
// replace it (dlopen of a path already open returns the library already loaded).
class ComponentRegistry {
public:
    // Loads every plugin library (*.so) in `directory` not loaded before, in name order.
    // Returns one message per plugin that was refused; the others are registered. A
    // missing directory is an error message too.
    std::vector<std::string> loadDirectory(const std::filesystem::path& directory);

    // Loads one file; returns the refusal reason, or "" when it was registered (or had
    // been before). A refused file is tried again by the next call for it.
    std::string loadFile(const std::filesystem::path& file);

    // Whether a registered component came from `file`.
    bool provides(const std::filesystem::path& file) const;

    std::shared_ptr<const RegisteredComponent> find(std::string_view name) const;
    std::vector<std::shared_ptr<const RegisteredComponent>> all() const;

private:
    std::string registerFile(const std::filesystem::path& canonical);

    mutable std::mutex mutex_;
    std::map<std::string, std::shared_ptr<const RegisteredComponent>, std::less<>> components_;
    std::set<std::filesystem::path> seenFiles_;
};

}  // namespace flowgate::plugin
