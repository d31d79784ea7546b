// The logger `log` function: one JSON line per message, to a file or the engine log.
#pragma once

#include <memory>

#include <nlohmann/json.hpp>

#include "flowgate/component.hpp"
#include "flowgate/step.hpp"

namespace flowgate::plugins::logger {

FunctionSpec logFunction();

// `config` has passed logFunction().configSchema. Opens the configured file, if any, for
// the life of the step; throws std::runtime_error if it cannot be opened.
std::unique_ptr<Step> makeLogStep(const nlohmann::json& config);

}  // namespace flowgate::plugins::logger
