// Standard Webhooks secrets (standardwebhooks.com): "whsec_<base64>", whose decoded bytes
// are the HMAC-SHA256 key. Read the same way by a trigger that verifies deliveries
// (core/auth) and by the webhook step that signs them (plugins/webhook).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace flowgate::common {

// The HMAC key of a Standard Webhooks secret: the base64 after an optional "whsec_";
// nullopt if that is not canonical base64 or decodes to nothing.
std::optional<std::string> standardWebhooksKey(std::string_view secret);

}  // namespace flowgate::common
