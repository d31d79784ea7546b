// Signing outgoing webhooks the Standard Webhooks way (standardwebhooks.com, v1):
//   webhook-signature: v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">
// under the key that a "whsec_<base64>" secret decodes to. With several secrets (a
// rotation) the header carries one space-separated signature per secret, so receivers
// holding either the old or the new secret accept the delivery.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace flowgate::plugins::signing {

// Immutable after construction; sign() may be called from several threads at once. Keys
// are wiped when the signer is destroyed.
class StandardWebhooksSigner {
public:
    // Throws std::invalid_argument naming the index of a secret that is not a Standard
    // Webhooks secret (never its value), or if there is none.
    explicit StandardWebhooksSigner(const std::vector<std::string>& secrets);
    ~StandardWebhooksSigner();
    StandardWebhooksSigner(const StandardWebhooksSigner&) = delete;
    StandardWebhooksSigner& operator=(const StandardWebhooksSigner&) = delete;

    // The webhook-signature header value: "v1,<sig>" per key, space-separated.
    std::string sign(std::string_view id, std::string_view timestamp, std::string_view body) const;

private:
    std::vector<std::string> keys_;
};

}  // namespace flowgate::plugins::signing
