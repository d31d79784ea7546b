// Twilio: "X-Twilio-Signature: <base64 HMAC-SHA1>" keyed with the account's auth token,
// over the full URL followed by every POST parameter as name+value, sorted by name (and a
// repeated name's values sorted), without separators. A request with a JSON body carries
// ?bodySHA256=<hex SHA-256 of the body> in its (signed) URL instead: then no parameters
// are appended and the body must hash to that value.
//
// Twilio's back end is not consistent about ports in the signed URL, so its own libraries
// (twilio-python, twilio-node) try the URL without its port if it has one, or with the
// scheme's default port if it has none; so does this verifier. The host and port come from
// the caller's Host header anyway: the path and query are what the signature pins.
#include <algorithm>

#include "flowgate/common/byte_encoding.hpp"
#include "flowgate/common/secret_bytes.hpp"
#include "auth/form_encoding.hpp"
#include "auth/verifiers.hpp"

namespace flowgate::auth {

using common::constantTimeEqual;
using common::decodeHex;

namespace {

// `url` as given, and the same URL with its port removed (if it has one) or the scheme's
// default port added (if it has none).
std::vector<std::string> urlPortVariants(std::string_view url) {
    std::vector<std::string> variants{std::string(url)};
    const std::size_t schemeEnd = url.find("://");
    if (schemeEnd == std::string_view::npos) return variants;
    const std::size_t authorityStart = schemeEnd + 3;
    std::size_t authorityEnd = url.find_first_of("/?#", authorityStart);
    if (authorityEnd == std::string_view::npos) authorityEnd = url.size();
    const std::string_view authority = url.substr(authorityStart, authorityEnd - authorityStart);
    const std::size_t at = authority.rfind('@');
    const std::size_t hostStart = at == std::string_view::npos ? 0 : at + 1;
    const std::string_view hostPort = authority.substr(hostStart);
    const std::size_t colon = hostPort.rfind(':');
    const std::size_t bracket = hostPort.rfind(']');  // IPv6 literal
    const bool hasPort =
        colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket);
    if (hasPort) {
        const std::size_t portStart = authorityStart + hostStart + colon;
        variants.push_back(std::string(url.substr(0, portStart)) +
                           std::string(url.substr(authorityEnd)));
    } else {
        const bool https = toLowerAscii(url.substr(0, schemeEnd)) == "https";
        variants.push_back(std::string(url.substr(0, authorityEnd)) + (https ? ":443" : ":80") +
                           std::string(url.substr(authorityEnd)));
    }
    return variants;
}

class TwilioVerifier final : public Verifier {
public:
    explicit TwilioVerifier(std::vector<std::string> authTokens)
        : signer_(HmacAlgorithm::sha1, std::move(authTokens)) {}

    Verdict verify(const WebhookRequest& request,
                   std::chrono::system_clock::time_point) const override {
        auto header = findHeader(request, "x-twilio-signature");
        if (!header || header->empty()) return missing("missing X-Twilio-Signature header");
        auto signature = decodeSignature(SignatureEncoding::base64, *header);
        if (!signature || signature->size() != digestSize(HmacAlgorithm::sha1))
            return invalid("signature in 'x-twilio-signature' is not a base64 HMAC-SHA1");

        if (request.url.find("://") == std::string_view::npos)
            return Verdict::reject(Verdict::Failure::internalError,
                                   "Twilio signs the full URL, and the server gave the verifier "
                                   "no absolute URL");
        auto query = decodeFormEncoded(queryOf(request.url));
        if (!query) return invalid("malformed query string");
        const std::string* bodyHash = nullptr;
        for (const auto& [name, value] : *query)
            if (name == "bodySHA256") {
                bodyHash = &value;
                break;
            }

        FormParams params;
        if (!bodyHash && request.method == "POST") {
            auto contentType = findHeader(request, "content-type");
            if (contentType && isFormContentType(*contentType)) {
                auto decoded = decodeFormEncoded(request.body);
                if (!decoded) return invalid("malformed form body");
                params = std::move(*decoded);
            }
        }
        std::sort(params.begin(), params.end());
        params.erase(std::unique(params.begin(), params.end()), params.end());

        bool matched = false;
        bool failed = false;
        for (const auto& url : urlPortVariants(request.url)) {
            std::vector<std::string_view> parts{url};
            for (const auto& [name, value] : params) {
                parts.push_back(name);
                parts.push_back(value);
            }
            const MacCheck check = signer_.check(parts, std::span(&*signature, 1));
            matched = matched || check == MacCheck::match;
            failed = failed || check == MacCheck::failed;
        }
        if (!matched) return macVerdict(failed ? MacCheck::failed : MacCheck::mismatch);

        if (bodyHash) {
            auto expected = decodeHex(*bodyHash);
            auto actual = sha256(request.body);
            if (!actual) return macVerdict(MacCheck::failed);
            if (!expected || !constantTimeEqual(*expected, *actual))
                return invalid("body does not match bodySHA256");
        }
        return Verdict::accept();
    }

    SecretFields secretFields() const override { return {{"x-twilio-signature"}, {}}; }

private:
    HmacSigner signer_;
};

}  // namespace

std::unique_ptr<const Verifier> makeTwilioVerifier(std::vector<std::string> authTokens) {
    return std::make_unique<TwilioVerifier>(std::move(authTokens));
}

}  // namespace flowgate::auth
