// A stand-in for the X API's POST /2/tweets on a LocalHttpServer. It checks the OAuth
// 1.0a signature of every request with its own implementation (Poco's HMAC-SHA1 and
// base64, not the plugin's OpenSSL code), refuses replayed nonces and stale timestamps,
// and answers like X: 201 {"data": {"id", "text"}}, or 401 problem details.
#pragma once

#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "support/canned_response.hpp"
#include "support/local_http_server.hpp"

namespace flowgate::test {

struct XApiKeys {
    std::string consumerKey;
    std::string consumerSecret;
    std::string accessToken;
    std::string accessTokenSecret;
};

class FakeXApi {
public:
    struct Seen {
        SeenRequest request;
        std::string signatureProblem;  // "" if the signature checked out
    };

    explicit FakeXApi(XApiKeys keys);

    // Answers for the next correctly signed requests, in order; after them, 201.
    void script(std::vector<CannedResponse> answers);
    std::string baseUrl() const { return server_.url(); }
    std::vector<Seen> seen() const;
    std::vector<std::string> posted() const;  // texts answered with 201

private:
    CannedResponse answer(const SeenRequest& request);
    std::string signatureProblem(const SeenRequest& request);

    const XApiKeys keys_;
    mutable std::mutex mutex_;
    std::deque<CannedResponse> script_;
    std::set<std::string> nonces_;
    std::vector<Seen> seen_;
    std::vector<std::string> posted_;
    LocalHttpServer server_;  // last: stopped before the state its handler uses goes
};

// RFC 5849 signature base string and signature, written for tests independently of the
// plugin (Poco::URI::encode, Poco::HMACEngine).
std::string oauthPercentEncode(const std::string& text);
std::string oauthSignature(const std::string& baseString, const std::string& consumerSecret,
                           const std::string& tokenSecret);

}  // namespace flowgate::test
