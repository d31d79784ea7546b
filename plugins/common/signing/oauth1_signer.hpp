// OAuth 1.0a request signing with HMAC-SHA1 (RFC 5849 section 3), as the X (Twitter) API
// wants for user-context calls. Pure: the caller supplies nonce and timestamp, so the
// published vectors can be reproduced exactly; oauth1Nonce() makes real ones.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace flowgate::plugins::signing {

struct OAuth1Credentials {
    std::string consumerKey;
    std::string consumerSecret;
    std::string token;        // the user's access token
    std::string tokenSecret;  // the user's access token secret
};

// Name/value pairs, unencoded.
using OAuth1Parameters = std::vector<std::pair<std::string, std::string>>;

// What is signed besides the credentials. `bodyParameters` are the parameters of an
// application/x-www-form-urlencoded body (RFC 5849 3.4.1.3.1); any other body (JSON, as
// in X API v2) is not part of the signature, so they are empty then. The URL's query
// parameters are always signed.
struct OAuth1Request {
    std::string method;  // "POST"
    std::string url;     // absolute http(s) URL, may carry a query
    OAuth1Parameters bodyParameters;
    std::string nonce;
    std::string timestamp;  // seconds since the epoch, decimal
};

// RFC 5849 3.6: every byte but ALPHA, DIGIT, '-', '.', '_' and '~' as %XX (upper case).
std::string oauth1PercentEncode(std::string_view text);

// RFC 5849 3.4.1: METHOD&encoded-base-URI&encoded-normalized-parameters, with the oauth_*
// protocol parameters (without oauth_signature) among the parameters. Throws
// std::invalid_argument for a URL that is not absolute http(s).
std::string oauth1SignatureBaseString(const OAuth1Request& request,
                                      const OAuth1Credentials& credentials);

// The base64 HMAC-SHA1 of the base string under "consumerSecret&tokenSecret" (3.4.2).
std::string oauth1Signature(const OAuth1Request& request, const OAuth1Credentials& credentials);

// The whole Authorization header value: `OAuth oauth_consumer_key="…", …` (3.5.1), with
// the seven protocol parameters in alphabetical order.
std::string oauth1AuthorizationHeader(const OAuth1Request& request,
                                      const OAuth1Credentials& credentials);

// 32 hex characters from the CSPRNG: unique per request, as 3.3 requires.
std::string oauth1Nonce();

}  // namespace flowgate::plugins::signing
