// API keys: in the configured header (any case) or query parameter, several for rotation.
#include "unit/auth/auth_test_support.hpp"

using namespace flowgate;
using namespace flowgate::test;
using Failure = auth::Verdict::Failure;

namespace {

const std::string kOld = "old-key-0123456789";
const std::string kNew = "new-key-9876543210";

}  // namespace

TEST_CASE("apikey: the default header is x-api-key", "[auth]") {
    auto verifier = verifierFor({{"type", "apikey"}, {"keys", {kOld}}});
    Request r;
    r.headers["x-api-key"] = kOld;
    CHECK(verify(*verifier, r).accepted);
    r.headers["x-api-key"] = kOld + "x";
    const auto wrong = verify(*verifier, r);
    CHECK(wrong.failure == Failure::invalidCredentials);
    CHECK(wrong.reason == "invalid API key");

    r.headers.erase("x-api-key");
    r.url += "?apiKey=" + kOld;  // no query parameter configured: not looked at
    const auto none = verify(*verifier, r);
    CHECK(none.failure == Failure::missingCredentials);
    CHECK(none.reason == "missing API key (header 'x-api-key')");
    CHECK(none.responseHeaders.empty());
}

TEST_CASE("apikey: a configured header name matches in any case, every key is valid", "[auth]") {
    auto verifier =
        verifierFor({{"type", "apikey"}, {"header", "X-Partner-Token"}, {"keys", {kOld, kNew}}});
    Request r;
    r.headers["x-partner-token"] = kNew;
    CHECK(verify(*verifier, r).accepted);
    r.headers["x-partner-token"] = kOld;
    CHECK(verify(*verifier, r).accepted);
    r.headers["x-partner-token"] = "";
    CHECK(verify(*verifier, r).failure == Failure::missingCredentials);
    CHECK(verifier->secretFields().headers == std::vector<std::string>{"x-partner-token"});
}

TEST_CASE("apikey: the query parameter, percent-decoded, and the header taking precedence",
          "[auth]") {
    const std::string key = "k+y/with=odd&chars";
    auto verifier =
        verifierFor({{"type", "apikey"}, {"queryParameter", "apiKey"}, {"keys", {key}}});
    Request r;
    r.url += "?x=1&apiKey=k%2By%2Fwith%3Dodd%26chars#frag";
    CHECK(verify(*verifier, r).accepted);

    r.url = "https://hooks.example.com/hook/f?apikey=k%2By%2Fwith%3Dodd%26chars";  // name is exact
    CHECK(verify(*verifier, r).reason ==
          "missing API key (header 'x-api-key' or query parameter 'apiKey')");

    r.url = "https://hooks.example.com/hook/f?apiKey=k%2By%2Fwith%3Dodd%26chars";
    r.headers["x-api-key"] = "wrong";  // present, so it is the one checked
    CHECK(verify(*verifier, r).reason == "invalid API key");

    r.headers.clear();
    r.url = "https://hooks.example.com/hook/f?apiKey=%zz";
    CHECK(verify(*verifier, r).reason == "malformed query string");

    const auto fields = verifier->secretFields();
    CHECK(fields.headers == std::vector<std::string>{"x-api-key"});
    CHECK(fields.queryParameters == std::vector<std::string>{"apiKey"});
}

TEST_CASE("apikey: no reason repeats a key, the wrong one sent included", "[auth]") {
    auto verifier =
        verifierFor({{"type", "apikey"}, {"queryParameter", "k"}, {"keys", {kOld, kNew}}});
    std::vector<Request> requests(3);
    requests[0].headers["x-api-key"] = kOld.substr(0, 10) + "-guess";
    requests[1].url += "?k=" + kNew + "1";
    for (const auto& r : requests)
        requireNoSecret(verify(*verifier, r).reason, {kOld, kNew, kOld.substr(0, 10) + "-guess"});
}
