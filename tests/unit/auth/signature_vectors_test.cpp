// Every published vector in tests/data/signatures.json goes through the real verifier,
// built from a credential document the way the engine builds it; then one-byte changes
// of body, timestamp and secret, and a missing signature header, must each be refused.
#include <cctype>
#include <optional>

#include "unit/auth/auth_test_support.hpp"

using namespace flowgate;
using namespace flowgate::test;
using nlohmann::json;

namespace {

struct VectorCase {
    std::string name;
    json credential;  // with "secrets" holding the vector's secret
    Request request;
    std::chrono::system_clock::time_point now = kAnyTime;
    std::string signatureHeader;
    std::string timestampHeader;  // "" if the scheme signs no timestamp
    std::string timestamp;
};

std::string formEncode(const std::string& text) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else if (c == ' ') {
            out.push_back('+');
        } else {
            out.push_back('%');
            out.push_back(hex[c >> 4]);
            out.push_back(hex[c & 15]);
        }
    }
    return out;
}

json hmacCredential(const json& vector, const std::string& preset) {
    json doc = {{"id", "vector"}, {"type", "hmac"}, {"secrets", {vector.at("secret")}}};
    if (!preset.empty()) doc["preset"] = preset;
    return doc;
}

// The case for one vector; nullopt for the OAuth 1.0a vector (the Twitter plugin's).
std::optional<VectorCase> caseFor(const json& v) {
    const std::string scheme = v.at("scheme");
    VectorCase c;
    c.name = scheme;
    auto& r = c.request;
    if (scheme.rfind("OAuth 1.0a", 0) == 0) return std::nullopt;
    if (scheme.rfind("Twilio", 0) == 0) {
        c.credential = hmacCredential(v, "twilio");
        r.url = v.at("url");
        for (const auto& [name, value] : v.at("params").items()) {
            if (!r.body.empty()) r.body += '&';
            r.body += formEncode(name) + "=" + formEncode(value.get<std::string>());
        }
        r.headers["content-type"] = "application/x-www-form-urlencoded; charset=utf-8";
        c.signatureHeader = "x-twilio-signature";
        r.headers[c.signatureHeader] = v.at("expected_header");
        return c;
    }

    r.body = v.at("body");
    if (scheme.rfind("elastic.io", 0) == 0) {
        c.credential = hmacCredential(v, "");
        c.signatureHeader = "x-eio-signature";
        r.headers[c.signatureHeader] = v.at("expected");
    } else if (scheme.rfind("GitHub", 0) == 0) {
        c.credential = hmacCredential(v, "github");
        c.signatureHeader = "x-hub-signature-256";
        r.headers[c.signatureHeader] = v.at("expected_header");
    } else if (scheme.rfind("Shopify", 0) == 0) {
        c.credential = hmacCredential(v, "shopify");
        c.signatureHeader = "x-shopify-hmac-sha256";
        r.headers[c.signatureHeader] = v.at("expected_header");
    } else if (scheme.rfind("Slack", 0) == 0) {
        c.credential = hmacCredential(v, "slack");
        c.signatureHeader = "x-slack-signature";
        c.timestampHeader = "x-slack-request-timestamp";
        r.headers[c.signatureHeader] = v.at("expected_header");
        r.headers[c.timestampHeader] = v.at("timestamp");
    } else if (scheme.rfind("Standard Webhooks", 0) == 0) {
        c.credential = hmacCredential(v, "standard-webhooks");
        c.signatureHeader = "webhook-signature";
        c.timestampHeader = "webhook-timestamp";
        r.headers[c.signatureHeader] = v.at("expected_header");
        r.headers[c.timestampHeader] = v.at("timestamp");
        r.headers["webhook-id"] = v.at("id");
    } else if (scheme.rfind("Stripe", 0) == 0) {
        c.credential = hmacCredential(v, "stripe");
        c.signatureHeader = "stripe-signature";
        c.timestampHeader = "stripe-signature";  // t=... inside the signature header
        r.headers[c.signatureHeader] = v.at("expected_header");
    } else {
        FAIL("a vector this test does not know: " << scheme);
    }
    if (v.contains("timestamp")) {
        c.timestamp = v.at("timestamp");
        c.now = unixTime(c.timestamp);
    }
    return c;
}

std::vector<VectorCase> allCases() {
    std::vector<VectorCase> cases;
    std::size_t skipped = 0;
    for (const auto& v : signatureVectors()) {
        if (auto c = caseFor(v))
            cases.push_back(std::move(*c));
        else
            ++skipped;
    }
    CHECK(skipped == 1);  // only the OAuth 1.0a vector
    REQUIRE(cases.size() == 7);
    return cases;
}

}  // namespace

TEST_CASE("every published signature vector is accepted by its verifier", "[auth]") {
    for (const auto& c : allCases()) {
        INFO(c.name);
        auto verifier = verifierFor(c.credential);
        const auto verdict = verify(*verifier, c.request, c.now);
        INFO(verdict.reason);
        CHECK(verdict.accepted);
        CHECK(verdict.failure == auth::Verdict::Failure::none);
    }
}

TEST_CASE("a one-byte change of body, secret or timestamp is refused", "[auth]") {
    for (const auto& c : allCases()) {
        INFO(c.name);
        const std::string secret = c.credential.at("secrets").at(0);
        auto verifier = verifierFor(c.credential);

        for (std::size_t at :
             {std::size_t{0}, c.request.body.size() / 2, c.request.body.size() - 1}) {
            Request changed = c.request;
            changed.body = changedAt(changed.body, at);
            const auto verdict = verify(*verifier, changed, c.now);
            CHECK_FALSE(verdict.accepted);
            CHECK(verdict.failure == auth::Verdict::Failure::invalidCredentials);
            CHECK(verdict.reason == "signature does not match");
        }

        json otherSecret = c.credential;
        otherSecret["secrets"] = {changedAt(secret, secret.size() - 1)};
        auto wrong = verifierFor(otherSecret);
        const auto wrongSecret = verify(*wrong, c.request, c.now);
        CHECK_FALSE(wrongSecret.accepted);
        CHECK(wrongSecret.reason == "signature does not match");
        requireNoSecret(wrongSecret.reason, {secret});

        if (!c.timestampHeader.empty()) {
            // One second later is well inside the tolerance: the signature itself must fail.
            Request changed = c.request;
            std::string& value = changed.headers[c.timestampHeader];
            const auto where = value.find(c.timestamp);
            REQUIRE(where != std::string::npos);
            value.replace(where, c.timestamp.size(), std::to_string(std::stoll(c.timestamp) + 1));
            const auto verdict = verify(*verifier, changed, c.now);
            CHECK_FALSE(verdict.accepted);
            CHECK(verdict.reason == "signature does not match");
        }

        Request unsigned_ = c.request;
        unsigned_.headers.erase(c.signatureHeader);
        const auto verdict = verify(*verifier, unsigned_, c.now);
        CHECK_FALSE(verdict.accepted);
        CHECK(verdict.failure == auth::Verdict::Failure::missingCredentials);
        CHECK(verdict.reason.find("missing") == 0);
    }
}

TEST_CASE("a second secret matches while a rotation is under way", "[auth]") {
    for (const auto& c : allCases()) {
        INFO(c.name);
        json rotated = c.credential;
        const std::string secret = rotated.at("secrets").at(0);
        // The first secret is wrong but valid for the scheme (a Standard Webhooks one too).
        rotated["secrets"] = {changedAt(secret, secret.size() - 1), secret};
        CHECK(verify(*verifierFor(rotated), c.request, c.now).accepted);
        rotated["secrets"] = {secret, changedAt(secret, secret.size() - 1)};
        CHECK(verify(*verifierFor(rotated), c.request, c.now).accepted);
    }
}

TEST_CASE("signed timestamps outside the tolerance are refused as stale", "[auth]") {
    for (const auto& c : allCases()) {
        if (c.timestampHeader.empty()) continue;
        INFO(c.name);
        auto verifier = verifierFor(c.credential);
        const std::int64_t signedAt = std::stoll(c.timestamp);
        // The default tolerance is 300 s, both ways.
        CHECK(verify(*verifier, c.request, unixTime(signedAt + 300)).accepted);
        CHECK(verify(*verifier, c.request, unixTime(signedAt - 300)).accepted);
        for (std::int64_t now :
             {signedAt + 301, signedAt - 301, signedAt + 86400, std::int64_t{0}}) {
            const auto verdict = verify(*verifier, c.request, unixTime(now));
            CHECK_FALSE(verdict.accepted);
            CHECK(verdict.failure == auth::Verdict::Failure::staleTimestamp);
            CHECK(verdict.reason == "stale timestamp");
        }

        json longer = c.credential;
        longer["toleranceSeconds"] = 3600;
        auto lenient = verifierFor(longer);
        CHECK(verify(*lenient, c.request, unixTime(signedAt + 3600)).accepted);
        CHECK(verify(*lenient, c.request, unixTime(signedAt - 3600)).accepted);
        CHECK(verify(*lenient, c.request, unixTime(signedAt + 3601)).reason == "stale timestamp");
    }
}
