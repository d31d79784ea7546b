// Webhook credential verification: given one call to a flow's Webhook URL and the flow
// trigger's credential, decide whether the caller holds the credential. Pure: bytes and
// headers in, verdict out. No I/O, no logging, no clock (the caller passes `now`).
//
// Trigger credential documents (loaded by config::CredentialStore, so every secret may be
// written as {"env": "NAME"} or {"file": "path"}). Every list of secrets may hold several
// entries so a secret can be rotated without downtime: any entry that matches lets the
// call in. Unknown properties are refused, so a typo cannot silently disable a check.
//
//   {"id": "ops", "type": "basic",
//    "users": [{"username": "ops", "password": {"env": "OPS_PASSWORD"}}, ...]}
//     HTTP Basic (RFC 7617). One or more user/password pairs; a user may appear twice with
//     two passwords while one is being rotated. Every refusal carries
//     WWW-Authenticate: Basic realm="flowgate", charset="UTF-8".
//
//   {"id": "crm", "type": "apikey", "header": "X-API-Key", "queryParameter": "apiKey",
//    "keys": [{"env": "CRM_KEY"}, {"env": "CRM_KEY_NEXT"}]}
//     A key sent as is. "header" defaults to "x-api-key" and is matched case-insensitively;
//     "queryParameter" is optional (keys in URLs end up in access logs: prefer the header).
//     When the header is present it is the only place looked at.
//
//   {"id": "eio", "type": "hmac", "secrets": [{"env": "EIO_SECRET"}],
//    "algorithm": "sha512", "header": "x-eio-signature", "encoding": "hex", "prefix": ""}
//     One header holding "<prefix><digest>", the HMAC of the raw body. Every property but
//     "secrets" is optional; the defaults, shown above, are the elastic.io convention.
//     algorithm: sha1 | sha256 | sha512; encoding: hex (either case) | base64.
//
//   {"id": "gh", "type": "hmac", "preset": "github", "secrets": [...], "toleranceSeconds": 300}
//     A provider's documented scheme; "toleranceSeconds" (1..86400) only for the presets
//     that sign a timestamp. Timestamps older or newer than now by more than the tolerance
//     are refused with the reason "stale timestamp".
//       github            X-Hub-Signature-256: sha256=<hex HMAC-SHA256(body)>
//       shopify           X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256(body)>
//       stripe            Stripe-Signature: t=<ts>,v1=<hex>[,v1=<hex>...] over "<ts>.<body>",
//                         key = the whole whsec_... string; tolerance 300 s
//       slack             X-Slack-Signature: v0=<hex HMAC-SHA256("v0:<ts>:<body>")>,
//                         X-Slack-Request-Timestamp: <ts>; tolerance 300 s
//       standard-webhooks webhook-id, webhook-timestamp, webhook-signature: space-separated
//                         "v1,<base64 HMAC-SHA256('<id>.<ts>.<body>')>"; key = base64
//                         decoding of the secret after "whsec_"; tolerance 300 s
//       twilio            X-Twilio-Signature: <base64 HMAC-SHA1(url + sorted POST params as
//                         name+value)>, the auth token as key; with ?bodySHA256=<hex> in the
//                         URL (JSON bodies) the params are empty and SHA-256(body) must match.
//                         Like Twilio's own libraries, the URL is also tried without its port
//                         if it has one, or with the scheme's default port if it has none.
//
// Signatures are decoded first and compared as digests with CRYPTO_memcmp; every secret
// is tried (no early exit), so timing says nothing about which byte or secret differed.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config_error.hpp"
#include "config/credential_store.hpp"

namespace flowgate::auth {

// Header names in lower case; a field sent twice is joined with ", " (RFC 9110).
using HeaderMap = std::map<std::string, std::string>;

// What a verifier may look at. A view: everything it refers to must outlive verify().
struct WebhookRequest {
    std::string_view method;  // "POST", "GET", ...
    // The URL exactly as the caller used it, absolute ("https://host[:port]/hook/x?a=b").
    // Twilio signs it, so behind a proxy it must be the public URL. The API key's query
    // parameter and Twilio's bodySHA256 are read (percent-decoded) from its query.
    std::string_view url;
    const HeaderMap& headers;  // lower-cased names
    std::string_view body;     // the raw bytes exactly as received, before any decoding
};

struct Verdict {
    enum class Failure {
        none,                // accepted
        missingCredentials,  // nothing to check: no header, no key          -> 401
        invalidCredentials,  // wrong, malformed, or not matching             -> 401
        staleTimestamp,      // a signed timestamp outside the tolerance      -> 401
        internalError,       // OpenSSL failed; nothing was decided           -> 500
    };

    bool accepted = false;
    Failure failure = Failure::none;
    // For logs and the 401's JSON. Built from fixed text and configured names only: never
    // contains a secret, a signature, a key, or anything else the caller sent.
    std::string reason;
    // To add to the refusal, e.g. WWW-Authenticate for Basic.
    std::vector<std::pair<std::string, std::string>> responseHeaders;

    static Verdict accept() { return {true, Failure::none, {}, {}}; }
    static Verdict reject(Failure failure, std::string reason) {
        return {false, failure, std::move(reason), {}};
    }
};

// Where a credential travels in a request, so the caller can keep it out of stored
// messages. Includes signature headers: a stored signature next to its body is a request
// anyone reading the message could replay.
struct SecretFields {
    std::vector<std::string> headers;          // lower case
    std::vector<std::string> queryParameters;  // exact names
};

// Checks calls against one trigger credential. Built once when a flow is loaded and
// immutable afterwards: verify() may be called from any number of threads at once. A
// verifier holds its own copies of the secrets (wiped when it is destroyed) and refers to
// nothing outside itself.
class Verifier {
public:
    virtual ~Verifier() = default;

    // Decides on one call. Never throws, whatever the request holds. `now` is the server
    // clock, used by the schemes that sign a timestamp.
    virtual Verdict verify(const WebhookRequest& request,
                           std::chrono::system_clock::time_point now) const = 0;

    virtual SecretFields secretFields() const = 0;
};

// True for the credential types a webhook trigger can use: "basic", "apikey", "hmac".
bool isTriggerCredentialType(std::string_view type);

// Validates `credential` (schema and scheme-specific checks) and builds its verifier.
// Each problem appends an error with the credential's file and a JSON pointer into its
// document (never a secret); returns null if there was any.
std::unique_ptr<const Verifier> makeVerifier(const config::Credential& credential,
                                             config::ConfigErrors& errors);

// The lower-case names of the headers that carry this credential's secret material or a
// signature made with it (Authorization, the API key header, X-Hub-Signature-256, ...).
// Empty for a credential makeVerifier() refuses.
std::vector<std::string> secretHeaders(const config::Credential& credential);

}  // namespace flowgate::auth
