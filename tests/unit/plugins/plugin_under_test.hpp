// Tests of the bundled plugins load the real built libraries from paths::pluginDir
// through the component registry, as the engine does, and never link plugin sources.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "config/config_schema.hpp"
#include "flowgate/step.hpp"
#include "plugin/component_registry.hpp"
#include "support/build_paths.hpp"

namespace flowgate::testing {

// The component of the real plugin `file` (e.g. "libflowgate-jq.so"). The registry that
// loaded it is gone: the component keeps its own library loaded.
inline std::shared_ptr<const plugin::RegisteredComponent> loadRealComponent(
    const std::string& file, std::string_view component) {
    plugin::ComponentRegistry registry;
    const std::string error =
        registry.loadFile(std::filesystem::path(flowgate::test::paths::pluginDir) / file);
    INFO(error);
    REQUIRE(error.empty());
    auto found = registry.find(component);
    REQUIRE(found);
    return found;
}

// A registry of every real plugin, fresh per call: no plugin stays loaded past the test
// that used it (the jq tests check that a plugin really unloads).
inline std::unique_ptr<plugin::ComponentRegistry> loadRealComponents() {
    auto registry = std::make_unique<plugin::ComponentRegistry>();
    registry->loadDirectory(flowgate::test::paths::pluginDir);
    return registry;
}

// What `config` breaks in the schema of `component.function`, as the engine checks it.
inline std::vector<config::SchemaViolation> violationsOf(
    const plugin::RegisteredComponent& component, std::string_view function,
    const nlohmann::json& config) {
    const auto* registered = component.function(function);
    REQUIRE(registered != nullptr);
    return registered->schema.validate(config);
}

// "pointer: reason" lines, for failure messages.
inline std::string describe(const std::vector<config::SchemaViolation>& violations) {
    std::string text;
    for (const auto& v : violations) text += "'" + v.pointer + "': " + v.reason + "\n";
    return text;
}

// Whether one of `violations` is at `pointer` and has `reasonPart` in its reason.
inline bool hasViolation(const std::vector<config::SchemaViolation>& violations,
                         std::string_view pointer, std::string_view reasonPart) {
    for (const auto& v : violations)
        if (v.pointer == pointer && v.reason.find(reasonPart) != std::string::npos) return true;
    return false;
}

// `config` with the defaults of the function's schema filled in, as the engine hands it
// to the component; as it is for a function the component does not have.
inline nlohmann::json withDefaults(const plugin::RegisteredComponent& component,
                                   std::string_view function, const nlohmann::json& config) {
    const auto* registered = component.function(function);
    return registered ? registered->schema.withDefaults(config) : config;
}

// The step's refusal, or "" when the step was made.
inline std::string refusalOf(const plugin::RegisteredComponent& component,
                             std::string_view function, const nlohmann::json& config) {
    auto created = component.createStep(function, withDefaults(component, function, config));
    if (auto* error = std::get_if<std::string>(&created)) return *error;
    return {};
}

// A step of `function` made from `config`, which must pass the function's schema.
inline std::shared_ptr<Step> makeStep(const plugin::RegisteredComponent& component,
                                      std::string_view function, const nlohmann::json& config) {
    const auto violations = violationsOf(component, function, config);
    INFO(describe(violations));
    REQUIRE(violations.empty());
    auto created = component.createStep(function, withDefaults(component, function, config));
    if (auto* error = std::get_if<std::string>(&created)) FAIL("createStep refused: " << *error);
    return std::get<std::shared_ptr<Step>>(std::move(created));
}

}  // namespace flowgate::testing
