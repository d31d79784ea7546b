// A Standard Webhooks v1 check for test servers, written independently of the plugins'
// signer (Poco's SHA-256, HMAC and base64 instead of OpenSSL).
#pragma once

#include <string>

#include "support/local_http_server.hpp"

namespace flowgate::test {

// "" if `request` carries webhook-id, a webhook-timestamp within `toleranceSeconds` of now
// and a webhook-signature with at least one "v1,<sig>" entry that is the HMAC-SHA256 of
// "id.timestamp.body" under `secret` ("whsec_<base64>"); otherwise what is wrong.
std::string standardWebhooksProblem(const SeenRequest& request, const std::string& secret,
                                    long long toleranceSeconds = 300);

}  // namespace flowgate::test
