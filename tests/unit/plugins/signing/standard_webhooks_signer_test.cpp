// The Standard Webhooks signer against the published vector in tests/data, key rotation
// (one signature per secret) and secrets that are refused without being echoed.
#include <catch2/catch.hpp>

#include "signing/standard_webhooks_signer.hpp"
#include "unit/auth/auth_test_support.hpp"

using namespace flowgate::plugins::signing;

TEST_CASE("standard webhooks: the published vector", "[signing][standard-webhooks]") {
    const auto v = flowgate::test::signatureVector("Standard Webhooks");
    const StandardWebhooksSigner signer({v.at("secret").get<std::string>()});
    CHECK(signer.sign(v.at("id").get<std::string>(), v.at("timestamp").get<std::string>(),
                      v.at("body").get<std::string>()) == v.at("expected_header"));
}

TEST_CASE("standard webhooks: id, timestamp and body are all signed",
          "[signing][standard-webhooks]") {
    const auto v = flowgate::test::signatureVector("Standard Webhooks");
    const StandardWebhooksSigner signer({v.at("secret").get<std::string>()});
    const std::string id = v.at("id"), ts = v.at("timestamp"), body = v.at("body");
    const std::string expected = v.at("expected_header");
    CHECK(signer.sign(id + "x", ts, body) != expected);
    CHECK(signer.sign(id, "1614265331", body) != expected);
    CHECK(signer.sign(id, ts, body + " ") != expected);
}

TEST_CASE("standard webhooks: a rotation signs with every secret", "[signing][standard-webhooks]") {
    const auto v = flowgate::test::signatureVector("Standard Webhooks");
    const std::string secret = v.at("secret");
    // The same key without the prefix and without padding is the same secret.
    const std::string other = "whsec_c2Vjb25kLXNlY3JldC1rZXk";  // "second-secret-key"
    const StandardWebhooksSigner signer({secret, other});
    const std::string header =
        signer.sign(v.at("id").get<std::string>(), v.at("timestamp").get<std::string>(),
                    v.at("body").get<std::string>());
    const std::string first = v.at("expected_header");
    REQUIRE(header.starts_with(first + " v1,"));
    CHECK(header.size() == first.size() * 2 + 1);

    const StandardWebhooksSigner bare({secret.substr(6)});
    CHECK(bare.sign(v.at("id").get<std::string>(), v.at("timestamp").get<std::string>(),
                    v.at("body").get<std::string>()) == first);
}

TEST_CASE("standard webhooks: bad secrets are refused by index, never echoed",
          "[signing][standard-webhooks]") {
    CHECK_THROWS_AS(StandardWebhooksSigner({}), std::invalid_argument);
    for (const std::string bad : {"whsec_not base64!", "whsec_", "whsec_A", "plain-text-secret"}) {
        INFO(bad);
        try {
            StandardWebhooksSigner signer({"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", bad});
            FAIL("accepted");
        } catch (const std::invalid_argument& e) {
            const std::string message = e.what();
            CHECK_THAT(message, Catch::Contains("secret 1 is not a Standard Webhooks secret"));
            if (bad != "whsec_") CHECK(message.find(bad) == std::string::npos);
        }
    }
}
