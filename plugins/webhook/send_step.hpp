// The webhook `send` function: POSTs the message body as JSON to a URL, signed the
// Standard Webhooks way, and passes the message on unchanged once the receiver took it.
#pragma once

#include <memory>

#include <nlohmann/json.hpp>

#include "flowgate/component.hpp"
#include "flowgate/step.hpp"

namespace flowgate::plugins::webhook {

FunctionSpec sendFunction();

// `config` has passed sendFunction().configSchema. Throws std::invalid_argument for what
// the schema cannot judge (see parseSendConfig).
std::unique_ptr<Step> makeSendStep(const nlohmann::json& config);

}  // namespace flowgate::plugins::webhook
