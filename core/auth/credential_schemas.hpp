// The JSON Schemas of the trigger credential types, compiled once. They are the single
// description of each document's shape; scheme-specific rules a schema cannot say (a
// Standard Webhooks secret must be base64) are checked where the verifier is built.
#pragma once

#include "config/config_schema.hpp"

namespace flowgate::auth {

const config::ConfigSchema& basicCredentialSchema();
const config::ConfigSchema& apiKeyCredentialSchema();
// "type": "hmac" without "preset": the generic one-header scheme.
const config::ConfigSchema& hmacCredentialSchema();
// "type": "hmac" with "preset".
const config::ConfigSchema& hmacPresetCredentialSchema();

}  // namespace flowgate::auth
