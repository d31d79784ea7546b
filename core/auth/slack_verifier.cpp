// Slack: "X-Slack-Signature: v0=<hex HMAC-SHA256 of 'v0:<ts>:<body>'>" with the signed
// timestamp in X-Slack-Request-Timestamp.
#include "auth/verifiers.hpp"

namespace flowgate::auth {

namespace {

class SlackVerifier final : public Verifier {
public:
    SlackVerifier(std::vector<std::string> secrets, std::chrono::seconds tolerance)
        : signer_(HmacAlgorithm::sha256, std::move(secrets)), tolerance_(tolerance) {}

    Verdict verify(const WebhookRequest& request,
                   std::chrono::system_clock::time_point now) const override {
        auto value = findHeader(request, "x-slack-signature");
        if (!value || value->empty()) return missing("missing X-Slack-Signature header");
        auto timestamp = findHeader(request, "x-slack-request-timestamp");
        if (!timestamp || timestamp->empty())
            return missing("missing X-Slack-Request-Timestamp header");

        constexpr std::string_view version = "v0=";
        if (!value->starts_with(version))
            return invalid("signature in 'x-slack-signature' does not start with 'v0='");
        auto signature = decodeSignature(SignatureEncoding::hex, value->substr(version.size()));
        if (!signature || signature->size() != digestSize(HmacAlgorithm::sha256))
            return invalid("signature in 'x-slack-signature' is not a hex HMAC-SHA256");
        if (auto stale = timestampVerdict(checkTimestamp(*timestamp, now, tolerance_),
                                          "X-Slack-Request-Timestamp"))
            return *stale;
        const std::string_view parts[] = {"v0:", *timestamp, ":", request.body};
        return macVerdict(signer_.check(parts, std::span(&*signature, 1)));
    }

    SecretFields secretFields() const override { return {{"x-slack-signature"}, {}}; }

private:
    HmacSigner signer_;
    std::chrono::seconds tolerance_;
};

}  // namespace

std::unique_ptr<const Verifier> makeSlackVerifier(std::vector<std::string> secrets,
                                                  std::chrono::seconds tolerance) {
    return std::make_unique<SlackVerifier>(std::move(secrets), tolerance);
}

}  // namespace flowgate::auth
