// The jq `transform` function: every output of a jq program becomes a message.
#pragma once

#include <memory>

#include <nlohmann/json.hpp>

#include "flowgate/component.hpp"
#include "flowgate/step.hpp"

namespace flowgate::plugins::jq {

FunctionSpec transformFunction();

// `config` has passed transformFunction().configSchema. Throws std::invalid_argument with
// jq's messages if the expression does not compile.
std::unique_ptr<Step> makeTransformStep(const nlohmann::json& config);

}  // namespace flowgate::plugins::jq
