// Shared by the auth tests: credentials from JSON text, requests as owned values, times as
// Unix seconds, and the check that a text carries none of a credential's secrets.
#pragma once

#include <chrono>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "auth/verifier.hpp"
#include "support/build_paths.hpp"

namespace flowgate::test {

inline config::Credential credential(const nlohmann::json& doc) {
    return {doc.value("id", "test"), doc.value("type", ""), doc, "credentials/test.json"};
}

// Builds the verifier; the test fails (with the errors) if the credential is refused.
inline std::unique_ptr<const auth::Verifier> verifierFor(const nlohmann::json& doc) {
    config::ConfigErrors errors;
    auto verifier = auth::makeVerifier(credential(doc), errors);
    std::string text;
    for (const auto& e : errors) text += e.toString() + "\n";
    INFO(text);
    REQUIRE(errors.empty());
    REQUIRE(verifier);
    return verifier;
}

inline config::ConfigErrors errorsFor(const nlohmann::json& doc) {
    config::ConfigErrors errors;
    auto verifier = auth::makeVerifier(credential(doc), errors);
    CHECK_FALSE(verifier);
    return errors;
}

struct Request {
    std::string method = "POST";
    std::string url = "https://hooks.example.com/hook/flow-1";
    auth::HeaderMap headers;
    std::string body;

    auth::WebhookRequest view() const { return {method, url, headers, body}; }
};

inline std::chrono::system_clock::time_point unixTime(std::int64_t seconds) {
    return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
}

inline std::chrono::system_clock::time_point unixTime(const std::string& seconds) {
    return unixTime(std::stoll(seconds));
}

// An arbitrary "now" for schemes without a timestamp.
inline const auto kAnyTime = unixTime(1700000000);

inline auth::Verdict verify(const auth::Verifier& verifier, const Request& request,
                            std::chrono::system_clock::time_point now = kAnyTime) {
    return verifier.verify(request.view(), now);
}

// The published vectors, read from the copy in tests/data.
inline nlohmann::json signatureVectors() {
    std::ifstream in(std::string(flowgate::test::paths::testDataDir) + "/signatures.json");
    REQUIRE(in);
    std::stringstream text;
    text << in.rdbuf();
    return nlohmann::json::parse(text.str()).at("vectors");
}

// The vector whose "scheme" starts with `prefix`.
inline nlohmann::json signatureVector(const std::string& prefix) {
    for (const auto& v : signatureVectors())
        if (v.at("scheme").get<std::string>().rfind(prefix, 0) == 0) return v;
    FAIL("no vector for " << prefix);
    return {};
}

// Flips one bit of the character at `index` (a one-byte change that keeps the length).
inline std::string changedAt(std::string text, std::size_t index) {
    REQUIRE(index < text.size());
    text[index] = static_cast<char>(text[index] ^ 0x01);
    return text;
}

// The text holds no secret, nor the first 6 characters of a longer one.
inline void requireNoSecret(const std::string& text, const std::vector<std::string>& secrets) {
    for (const auto& secret : secrets) {
        INFO("text: " << text);
        CHECK(text.find(secret) == std::string::npos);
        if (secret.size() > 6) CHECK(text.find(secret.substr(0, 6)) == std::string::npos);
    }
}

}  // namespace flowgate::test
