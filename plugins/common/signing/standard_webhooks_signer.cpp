#include "signing/standard_webhooks_signer.hpp"

#include <stdexcept>

#include "signing/hmac.hpp"

namespace flowgate::plugins::signing {

std::optional<std::string> standardWebhooksKey(std::string_view secret) {
    constexpr std::string_view prefix = "whsec_";
    if (secret.starts_with(prefix)) secret.remove_prefix(prefix.size());
    auto key = decodeBase64(secret);
    if (!key || key->empty()) return std::nullopt;
    return key;
}

StandardWebhooksSigner::StandardWebhooksSigner(const std::vector<std::string>& secrets) {
    if (secrets.empty()) throw std::invalid_argument("no Standard Webhooks secret");
    for (std::size_t i = 0; i < secrets.size(); ++i) {
        auto key = standardWebhooksKey(secrets[i]);
        if (!key)
            throw std::invalid_argument("secret " + std::to_string(i) +
                                        " is not a Standard Webhooks secret: expected "
                                        "'whsec_' followed by base64");
        keys_.push_back(std::move(*key));
    }
}

StandardWebhooksSigner::~StandardWebhooksSigner() {
    for (auto& key : keys_) wipe(key);
}

std::string StandardWebhooksSigner::sign(std::string_view id, std::string_view timestamp,
                                         std::string_view body) const {
    std::string payload;
    payload.reserve(id.size() + timestamp.size() + body.size() + 2);
    payload.append(id).append(".").append(timestamp).append(".").append(body);
    std::string header;
    for (const auto& key : keys_) {
        if (!header.empty()) header += ' ';
        header += "v1," + encodeBase64(hmac(Digest::sha256, key, payload));
    }
    return header;
}

}  // namespace flowgate::plugins::signing
