// One header holding "<prefix><encoded HMAC of the raw body>": the generic scheme
// (elastic.io defaults), GitHub and Shopify.
#include "auth/verifiers.hpp"

namespace flowgate::auth {

namespace {

class BodySignatureVerifier final : public Verifier {
public:
    explicit BodySignatureVerifier(BodySignatureSettings settings)
        : header_(toLowerAscii(settings.header)),
          encoding_(settings.encoding),
          prefix_(std::move(settings.prefix)),
          signer_(settings.algorithm, std::move(settings.secrets)) {
        secretHeaders_.push_back(header_);
        for (const auto& other : settings.alsoSecretHeaders)
            secretHeaders_.push_back(toLowerAscii(other));
    }

    Verdict verify(const WebhookRequest& request,
                   std::chrono::system_clock::time_point) const override {
        auto value = findHeader(request, header_);
        if (!value || value->empty()) return missing("missing signature header '" + header_ + "'");
        if (value->substr(0, prefix_.size()) != prefix_)
            return invalid("signature in '" + header_ + "' does not start with '" + prefix_ + "'");
        auto signature = decodeSignature(encoding_, value->substr(prefix_.size()));
        if (!signature)
            return invalid("signature in '" + header_ + "' is not " +
                           std::string(encodingName(encoding_)));
        if (signature->size() != digestSize(signer_.algorithm()))
            return invalid("signature in '" + header_ + "' has the wrong length for " +
                           std::string(hmacAlgorithmName(signer_.algorithm())));
        const std::string_view parts[] = {request.body};
        return macVerdict(signer_.check(parts, std::span(&*signature, 1)));
    }

    SecretFields secretFields() const override { return {secretHeaders_, {}}; }

private:
    std::string header_;
    SignatureEncoding encoding_;
    std::string prefix_;
    HmacSigner signer_;
    std::vector<std::string> secretHeaders_;
};

}  // namespace

std::unique_ptr<const Verifier> makeBodySignatureVerifier(BodySignatureSettings settings) {
    return std::make_unique<BodySignatureVerifier>(std::move(settings));
}

}  // namespace flowgate::auth
