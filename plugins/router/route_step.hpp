// The router's `route` step: content-based routing to named outputs.
#pragma once

#include <memory>

#include <nlohmann/json.hpp>

#include "flowgate/step.hpp"

namespace flowgate::plugins::router {

// `config` has passed routeFunction().configSchema; throws like parseRouteConfig.
std::unique_ptr<Step> makeRouteStep(const nlohmann::json& config);

}  // namespace flowgate::plugins::router
