// Standard Webhooks v1 (standardwebhooks.com): webhook-id, webhook-timestamp and
// webhook-signature, a space-separated list of "<version>,<base64>"; each "v1" entry is an
// HMAC-SHA256 of "<id>.<timestamp>.<body>" under the decoded key. Other versions (v1a is
// asymmetric) are skipped.
#include "auth/verifiers.hpp"

namespace flowgate::auth {

namespace {

class StandardWebhooksVerifier final : public Verifier {
public:
    StandardWebhooksVerifier(std::vector<std::string> keys, std::chrono::seconds tolerance)
        : signer_(HmacAlgorithm::sha256, std::move(keys)), tolerance_(tolerance) {}

    Verdict verify(const WebhookRequest& request,
                   std::chrono::system_clock::time_point now) const override {
        auto id = findHeader(request, "webhook-id");
        auto timestamp = findHeader(request, "webhook-timestamp");
        auto value = findHeader(request, "webhook-signature");
        if (!value || value->empty()) return missing("missing webhook-signature header");
        if (!id || id->empty()) return missing("missing webhook-id header");
        if (!timestamp || timestamp->empty()) return missing("missing webhook-timestamp header");

        std::vector<std::string> signatures;
        std::string_view rest = *value;
        while (!rest.empty()) {
            const std::size_t space = rest.find(' ');
            const std::string_view item = rest.substr(0, space);
            rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
            if (!item.starts_with("v1,")) continue;
            if (auto signature = decodeSignature(SignatureEncoding::base64, item.substr(3));
                signature && signature->size() == digestSize(HmacAlgorithm::sha256))
                signatures.push_back(std::move(*signature));
        }
        if (signatures.empty())
            return invalid("webhook-signature header has no valid v1 signature");
        if (auto stale =
                timestampVerdict(checkTimestamp(*timestamp, now, tolerance_), "webhook-timestamp"))
            return *stale;
        const std::string_view parts[] = {*id, ".", *timestamp, ".", request.body};
        return macVerdict(signer_.check(parts, signatures));
    }

    SecretFields secretFields() const override { return {{"webhook-signature"}, {}}; }

private:
    HmacSigner signer_;
    std::chrono::seconds tolerance_;
};

}  // namespace

std::unique_ptr<const Verifier> makeStandardWebhooksVerifier(std::vector<std::string> keys,
                                                             std::chrono::seconds tolerance) {
    return std::make_unique<StandardWebhooksVerifier>(std::move(keys), tolerance);
}

}  // namespace flowgate::auth
