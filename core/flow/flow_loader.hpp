// Loading flows from JSON files and checking them against the loaded components.
#pragma once

#include <filesystem>
#include <memory>

#include "config/config_error.hpp"
#include "config/credential_store.hpp"
#include "config/engine_config.hpp"
#include "flow/flow.hpp"
#include "plugin/component_registry.hpp"

namespace flowgate::flow {

struct FlowLoadResult {
    std::shared_ptr<const FlowSet> flows;  // every valid flow
    config::ConfigErrors errors;           // every problem of every refused flow
};

// Loads every *.json in `directory` as one flow. A flow with any error (schema, unknown
// component or function, step config against the function's schema, credential,
// duplicate id) is refused with file, JSON pointer and reason; the others are returned.
// Steps are created through their components here, so a config that only the component
// can judge (a jq program that doesn't compile) is refused at load too.
FlowLoadResult loadFlows(const std::filesystem::path& directory,
                         const plugin::ComponentRegistry& components,
                         const config::CredentialStore& credentials,
                         const config::RetryPolicy& defaultRetry);

}  // namespace flowgate::flow
