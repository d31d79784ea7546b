// The concrete verifiers, one file each, and what they share. Internal to core/auth: the
// engine goes through makeVerifier(); tests may build these directly.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/hmac_signer.hpp"
#include "auth/timestamp_window.hpp"
#include "auth/verifier.hpp"

namespace flowgate::auth {

// --- building blocks -------------------------------------------------------------------

// The value of header `lowerName` without surrounding spaces and tabs; nullopt if absent.
std::optional<std::string_view> findHeader(const WebhookRequest& request,
                                           const std::string& lowerName);

std::string toLowerAscii(std::string_view text);

Verdict missing(std::string reason);
Verdict invalid(std::string reason);
// "stale timestamp" or "malformed timestamp in <header>"; null if `check` is fresh.
std::optional<Verdict> timestampVerdict(TimestampCheck check, std::string_view header);
// accept, "signature does not match", or an internal error.
Verdict macVerdict(MacCheck check);

enum class SignatureEncoding { hex, base64 };
std::optional<std::string> decodeSignature(SignatureEncoding encoding, std::string_view text);
std::string_view encodingName(SignatureEncoding encoding);

// --- verifiers -------------------------------------------------------------------------

struct BasicUser {
    std::string username;
    std::string password;
};
// Throws std::invalid_argument for no users (messages never name a password).
std::unique_ptr<const Verifier> makeBasicAuthVerifier(std::vector<BasicUser> users);

struct ApiKeySettings {
    std::string header = "x-api-key";  // any case
    std::string queryParameter;        // "" for none
    std::vector<std::string> keys;
};
std::unique_ptr<const Verifier> makeApiKeyVerifier(ApiKeySettings settings);

// One header "<prefix><encoded HMAC of the raw body>": the generic scheme (elastic.io
// defaults), GitHub and Shopify.
struct BodySignatureSettings {
    HmacAlgorithm algorithm = HmacAlgorithm::sha512;
    std::string header = "x-eio-signature";  // any case
    SignatureEncoding encoding = SignatureEncoding::hex;
    std::string prefix;
    std::vector<std::string> secrets;
    // Other headers that carry a signature made with the same secrets (GitHub's SHA-1
    // X-Hub-Signature), reported by secretFields() only.
    std::vector<std::string> alsoSecretHeaders;
};
std::unique_ptr<const Verifier> makeBodySignatureVerifier(BodySignatureSettings settings);

std::unique_ptr<const Verifier> makeStripeVerifier(std::vector<std::string> secrets,
                                                   std::chrono::seconds tolerance);
std::unique_ptr<const Verifier> makeSlackVerifier(std::vector<std::string> secrets,
                                                  std::chrono::seconds tolerance);
// `keys` are the decoded keys (the bytes after "whsec_", base64-decoded).
std::unique_ptr<const Verifier> makeStandardWebhooksVerifier(std::vector<std::string> keys,
                                                             std::chrono::seconds tolerance);
std::unique_ptr<const Verifier> makeTwilioVerifier(std::vector<std::string> authTokens);

}  // namespace flowgate::auth
