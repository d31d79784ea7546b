// The JSON Schemas of the trigger credential types, compiled once. They are the single
// description of each document's shape; scheme-specific rules a schema cannot say (a
// Standard Webhooks secret must be base64) are checked where the verifier is built.
#pragma once

#include "plugin/config_schema.hpp"

namespace flowgate::auth {

const plugin::ConfigSchema& basicCredentialSchema();
const plugin::ConfigSchema& apiKeyCredentialSchema();
// "type": "hmac" without "preset": the generic one-header scheme.
const plugin::ConfigSchema& hmacCredentialSchema();
// "type": "hmac" with "preset".
const plugin::ConfigSchema& hmacPresetCredentialSchema();

}  // namespace flowgate::auth
