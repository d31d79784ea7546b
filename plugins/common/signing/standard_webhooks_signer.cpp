#include "signing/standard_webhooks_signer.hpp"

#include <stdexcept>

#include "flowgate/common/byte_encoding.hpp"
#include "flowgate/common/hmac.hpp"
#include "flowgate/common/secret_bytes.hpp"
#include "flowgate/common/standard_webhooks_key.hpp"

namespace flowgate::plugins::signing {

StandardWebhooksSigner::StandardWebhooksSigner(const std::vector<std::string>& secrets) {
    if (secrets.empty()) throw std::invalid_argument("no Standard Webhooks secret");
    for (std::size_t i = 0; i < secrets.size(); ++i) {
        auto key = common::standardWebhooksKey(secrets[i]);
        if (!key)
            throw std::invalid_argument("secret " + std::to_string(i) +
                                        " is not a Standard Webhooks secret: expected "
                                        "'whsec_' followed by base64");
        keys_.push_back(std::move(*key));
    }
}

StandardWebhooksSigner::~StandardWebhooksSigner() {
    for (auto& key : keys_) common::wipe(key);
}

std::string StandardWebhooksSigner::sign(std::string_view id, std::string_view timestamp,
                                         std::string_view body) const {
    std::string payload;
    payload.reserve(id.size() + timestamp.size() + body.size() + 2);
    payload.append(id).append(".").append(timestamp).append(".").append(body);
    const common::Hmac hmac;
    const std::string_view parts[] = {payload};
    std::string header;
    for (const auto& key : keys_) {
        auto mac = hmac.compute(common::HmacAlgorithm::sha256, key, parts);
        if (!mac) throw std::runtime_error("OpenSSL could not compute an HMAC");
        if (!header.empty()) header += ' ';
        header += "v1," + common::encodeBase64(*mac);
    }
    return header;
}

}  // namespace flowgate::plugins::signing
