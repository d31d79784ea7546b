// The split component's `split` function: one message per element of an array.
#pragma once

#include <memory>

#include <nlohmann/json.hpp>

#include "flowgate/component.hpp"
#include "flowgate/step.hpp"

namespace flowgate::plugins::split {

FunctionSpec splitFunction();

// `config` has passed splitFunction().configSchema. Throws std::invalid_argument for a
// path that is not a JSON pointer.
std::unique_ptr<Step> makeSplitStep(const nlohmann::json& config);

}  // namespace flowgate::plugins::split
