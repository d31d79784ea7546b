// Stripe: "Stripe-Signature: t=<ts>,v1=<hex>[,v1=<hex>...]", each v1 an HMAC-SHA256 of
// "<ts>.<body>" keyed with the whole whsec_... secret. Stripe sends several v1 entries
// while an endpoint secret is being rolled; v0 and unknown schemes are ignored.
#include "auth/verifiers.hpp"

namespace flowgate::auth {

namespace {

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

class StripeVerifier final : public Verifier {
public:
    StripeVerifier(std::vector<std::string> secrets, std::chrono::seconds tolerance)
        : signer_(HmacAlgorithm::sha256, std::move(secrets)), tolerance_(tolerance) {}

    Verdict verify(const WebhookRequest& request,
                   std::chrono::system_clock::time_point now) const override {
        auto value = findHeader(request, "stripe-signature");
        if (!value || value->empty()) return missing("missing Stripe-Signature header");

        std::optional<std::string_view> timestamp;
        std::vector<std::string> signatures;
        std::string_view rest = *value;
        while (!rest.empty()) {
            const std::size_t comma = rest.find(',');
            const std::string_view item = trimmed(rest.substr(0, comma));
            rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
            const std::size_t eq = item.find('=');
            if (eq == std::string_view::npos) continue;
            const std::string_view key = item.substr(0, eq);
            const std::string_view text = item.substr(eq + 1);
            if (key == "t") {
                // Two timestamps: which one was signed is anyone's guess.
                if (timestamp) return invalid("malformed Stripe-Signature header");
                timestamp = text;
            } else if (key == "v1") {
                if (auto signature = decodeSignature(SignatureEncoding::hex, text);
                    signature && signature->size() == digestSize(HmacAlgorithm::sha256))
                    signatures.push_back(std::move(*signature));
            }
        }
        if (!timestamp) return invalid("Stripe-Signature header has no timestamp");
        if (signatures.empty()) return invalid("Stripe-Signature header has no valid v1 signature");
        if (auto stale =
                timestampVerdict(checkTimestamp(*timestamp, now, tolerance_), "Stripe-Signature"))
            return *stale;
        const std::string_view parts[] = {*timestamp, ".", request.body};
        return macVerdict(signer_.check(parts, signatures));
    }

    SecretFields secretFields() const override { return {{"stripe-signature"}, {}}; }

private:
    HmacSigner signer_;
    std::chrono::seconds tolerance_;
};

}  // namespace

std::unique_ptr<const Verifier> makeStripeVerifier(std::vector<std::string> secrets,
                                                   std::chrono::seconds tolerance) {
    return std::make_unique<StripeVerifier>(std::move(secrets), tolerance);
}

}  // namespace flowgate::auth
