// The router's `route` config, checked and compiled once per step, then only read.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "flowgate/component.hpp"
#include "jq/jq_program.hpp"

namespace flowgate::plugins::router {

struct Branch {
    std::string name;  // the output the message goes to
    // Not const: running a program borrows one of its compiled states.
    std::unique_ptr<jq::JqProgram> condition;
};

struct RouteConfig {
    enum class Mode { first, all };
    enum class Scope { body, message };

    std::vector<Branch> branches;         // in config order: "first" tries them in this order
    std::optional<std::string> fallback;  // config "default": the output of unmatched messages
    Mode mode = Mode::first;
    Scope scope = Scope::body;
};

FunctionSpec routeFunction();

// `config` has passed routeFunction().configSchema. Throws std::invalid_argument naming the
// branch for a condition that does not compile or a name used twice.
std::shared_ptr<RouteConfig> parseRouteConfig(const nlohmann::json& config);

}  // namespace flowgate::plugins::router
