#include "auth/signature_presets.hpp"

#include "flowgate/common/standard_webhooks_key.hpp"
#include "auth/verifiers.hpp"

namespace flowgate::auth {

using common::standardWebhooksKey;

std::optional<SignaturePreset> findSignaturePreset(std::string_view name) {
    if (name == "github") return SignaturePreset::github;
    if (name == "stripe") return SignaturePreset::stripe;
    if (name == "slack") return SignaturePreset::slack;
    if (name == "shopify") return SignaturePreset::shopify;
    if (name == "standard-webhooks") return SignaturePreset::standardWebhooks;
    if (name == "twilio") return SignaturePreset::twilio;
    return std::nullopt;
}

bool signsTimestamp(SignaturePreset preset) {
    return preset == SignaturePreset::stripe || preset == SignaturePreset::slack ||
           preset == SignaturePreset::standardWebhooks;
}

std::unique_ptr<const Verifier> makePresetVerifier(SignaturePreset preset,
                                                   std::vector<std::string> secrets,
                                                   std::chrono::seconds tolerance,
                                                   const std::string& file,
                                                   config::ConfigErrors& errors) {
    switch (preset) {
    case SignaturePreset::github:
        return makeBodySignatureVerifier({.algorithm = HmacAlgorithm::sha256,
                                          .header = "x-hub-signature-256",
                                          .encoding = SignatureEncoding::hex,
                                          .prefix = "sha256=",
                                          .secrets = std::move(secrets),
                                          // GitHub also sends the legacy SHA-1 signature.
                                          .alsoSecretHeaders = {"x-hub-signature"}});
    case SignaturePreset::shopify:
        return makeBodySignatureVerifier({.algorithm = HmacAlgorithm::sha256,
                                          .header = "x-shopify-hmac-sha256",
                                          .encoding = SignatureEncoding::base64,
                                          .prefix = "",
                                          .secrets = std::move(secrets),
                                          .alsoSecretHeaders = {}});
    case SignaturePreset::stripe:
        return makeStripeVerifier(std::move(secrets), tolerance);
    case SignaturePreset::slack:
        return makeSlackVerifier(std::move(secrets), tolerance);
    case SignaturePreset::twilio:
        return makeTwilioVerifier(std::move(secrets));
    case SignaturePreset::standardWebhooks: {
        std::vector<std::string> keys;
        bool ok = true;
        for (std::size_t i = 0; i < secrets.size(); ++i) {
            auto key = standardWebhooksKey(secrets[i]);
            wipe(secrets[i]);
            if (!key) {
                errors.push_back({file, "/secrets/" + std::to_string(i),
                                  "not a Standard Webhooks secret: expected 'whsec_' followed "
                                  "by base64"});
                ok = false;
                continue;
            }
            keys.push_back(std::move(*key));
        }
        if (!ok) {
            for (auto& key : keys) wipe(key);
            return nullptr;
        }
        return makeStandardWebhooksVerifier(std::move(keys), tolerance);
    }
    }
    return nullptr;
}

}  // namespace flowgate::auth
