// The webhook `send` function: POSTs the message body as JSON to a URL, signed the
// Standard Webhooks way, and passes the message on unchanged once the receiver took it.
#pragma once

#include <memory>

#include <nlohmann/json.hpp>

#include "flowgate/component.hpp"
#include "flowgate/step.hpp"

namespace flowgate::plugins::webhook {

FunctionSpec sendFunction();

// "hmac" as a sender reads it: a Standard Webhooks credential, the same file a receiving
// flow's trigger uses ({"type": "hmac", "preset": "standard-webhooks", "secrets": [...]}).
CredentialType sendCredentialType();

// `config` has passed sendFunction().configSchema. Throws std::invalid_argument for what
// the schema cannot judge (see parseSendConfig).
std::unique_ptr<Step> makeSendStep(const nlohmann::json& config);

}  // namespace flowgate::plugins::webhook
