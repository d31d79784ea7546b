// The jq `filter` function: a message goes on only if a jq program holds for it.
#pragma once

#include <memory>

#include <nlohmann/json.hpp>

#include "flowgate/component.hpp"
#include "flowgate/step.hpp"

namespace flowgate::plugins::jq {

FunctionSpec filterFunction();

// `config` has passed filterFunction().configSchema. Throws std::invalid_argument with
// jq's messages if the expression does not compile.
std::unique_ptr<Step> makeFilterStep(const nlohmann::json& config);

}  // namespace flowgate::plugins::jq
