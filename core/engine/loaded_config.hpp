// What a config directory holds once loaded: engine.json, plugins, credentials and flows,
// with every error collected. Shared by the intake, the workers and `validate`.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "config/credential_store.hpp"
#include "flow/flow.hpp"
#include "plugin/component_registry.hpp"

namespace flowgate::cli {

struct LoadedConfig {
    config::EngineConfig engine;
    plugin::ComponentRegistry components;
    config::CredentialStore credentials;
    std::shared_ptr<const flow::FlowSet> flows;
    // engine.json's own errors: the engine refuses to start on any of them (a broken
    // flow or credential file only refuses that file).
    config::ConfigErrors engineErrors;
    config::ConfigErrors errors;  // credentials and flows
    std::vector<std::string> pluginErrors;
};

// Reads engine.json with the command line's overrides, loads the plugins, credentials and
// flows. Never throws for a bad file: errors are collected.
std::unique_ptr<LoadedConfig> loadConfig(const EngineOptions& options);

// Logs every error of `loaded` and the components it found.
void logLoaded(const LoadedConfig& loaded);

}  // namespace flowgate::cli
