// What the verifiers share: header lookup, verdicts, signature decoding.
#include <algorithm>
#include <cctype>

#include "flowgate/common/byte_encoding.hpp"
#include "auth/verifiers.hpp"

namespace flowgate::auth {

using common::decodeBase64;
using common::decodeHex;

std::optional<std::string_view> findHeader(const WebhookRequest& request,
                                           const std::string& lowerName) {
    auto it = request.headers.find(lowerName);
    if (it == request.headers.end()) return std::nullopt;
    std::string_view value = it->second;
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    return value;
}

std::string toLowerAscii(std::string_view text) {
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return lower;
}

Verdict missing(std::string reason) {
    return Verdict::reject(Verdict::Failure::missingCredentials, std::move(reason));
}

Verdict invalid(std::string reason) {
    return Verdict::reject(Verdict::Failure::invalidCredentials, std::move(reason));
}

std::optional<Verdict> timestampVerdict(TimestampCheck check, std::string_view header) {
    switch (check) {
    case TimestampCheck::fresh:
        return std::nullopt;
    case TimestampCheck::stale:
        return Verdict::reject(Verdict::Failure::staleTimestamp, "stale timestamp");
    case TimestampCheck::malformed:
        return invalid("malformed timestamp in " + std::string(header));
    }
    return invalid("malformed timestamp");
}

Verdict macVerdict(MacCheck check) {
    switch (check) {
    case MacCheck::match:
        return Verdict::accept();
    case MacCheck::mismatch:
        return invalid("signature does not match");
    case MacCheck::failed:
        break;
    }
    return Verdict::reject(Verdict::Failure::internalError, "the signature could not be computed");
}

std::optional<std::string> decodeSignature(SignatureEncoding encoding, std::string_view text) {
    return encoding == SignatureEncoding::hex ? decodeHex(text) : decodeBase64(text);
}

std::string_view encodingName(SignatureEncoding encoding) {
    return encoding == SignatureEncoding::hex ? "hex" : "base64";
}

}  // namespace flowgate::auth
