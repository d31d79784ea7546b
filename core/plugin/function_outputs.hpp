// The named outputs of a configured step, from its function's manifest entry.
#pragma once

#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "flowgate/component.hpp"

namespace flowgate::plugin {

// Each entry of `spec.outputs` is an output name, or, when it starts with '/', a JSON
// pointer into the step's `config` whose string value(s) are output names; a `*` token
// stands for every element of an array or member of an object ("/branches/*/name").
// Pointers that lead nowhere and values that are not strings name nothing. An empty
// result means the function does not declare its outputs.
std::set<std::string, std::less<>> declaredOutputs(const FunctionSpec& spec,
                                                   const nlohmann::json& config);

}  // namespace flowgate::plugin
