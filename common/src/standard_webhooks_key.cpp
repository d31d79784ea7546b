#include "flowgate/common/standard_webhooks_key.hpp"

#include "flowgate/common/byte_encoding.hpp"

namespace flowgate::common {

std::optional<std::string> standardWebhooksKey(std::string_view secret) {
    constexpr std::string_view prefix = "whsec_";
    if (secret.starts_with(prefix)) secret.remove_prefix(prefix.size());
    auto key = decodeBase64(secret);
    if (!key || key->empty()) return std::nullopt;
    return key;
}

}  // namespace flowgate::common
