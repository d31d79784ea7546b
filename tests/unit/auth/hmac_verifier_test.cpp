// The HMAC schemes beyond the published vectors: the generic scheme's options, and each
// provider's header format at its edges (malformed, several signatures, missing parts).
// Expected signatures were computed with Python's hmac module.
#include "unit/auth/auth_test_support.hpp"

using namespace flowgate;
using namespace flowgate::test;
using nlohmann::json;
using Failure = auth::Verdict::Failure;

TEST_CASE("generic hmac: algorithm, header, encoding and prefix are configurable", "[auth]") {
    auto verifier = verifierFor({{"type", "hmac"},
                                 {"algorithm", "sha256"},
                                 {"header", "X-Signature"},
                                 {"encoding", "base64"},
                                 {"prefix", "sha256="},
                                 {"secrets", {"s3cret"}}});
    Request r;
    r.body = "hello";
    r.headers["x-signature"] = "sha256=5aAVN0gfoLLGl/eHx6/4hUEs8HYNCOCFAiWbOdLWrmg=";
    CHECK(verify(*verifier, r).accepted);

    SECTION("without the prefix") {
        r.headers["x-signature"] = "5aAVN0gfoLLGl/eHx6/4hUEs8HYNCOCFAiWbOdLWrmg=";
        auto verdict = verify(*verifier, r);
        CHECK_FALSE(verdict.accepted);
        CHECK(verdict.reason == "signature in 'x-signature' does not start with 'sha256='");
    }
    SECTION("not base64") {
        r.headers["x-signature"] = "sha256=5aAVN0gfoLLGl/eHx6/4hUEs8HYNCOCFAiWbOdLWrmg!";
        CHECK(verify(*verifier, r).reason == "signature in 'x-signature' is not base64");
    }
    SECTION("base64 of the wrong length") {
        r.headers["x-signature"] = "sha256=5aAVN0gfoLLGl/eHx6/4hUEs8HYNCOCFAiWbOdLW";
        CHECK(verify(*verifier, r).reason ==
              "signature in 'x-signature' has the wrong length for HMAC-SHA256");
    }
}

TEST_CASE("generic hmac: sha1 and hex in either case, empty bodies are signed too", "[auth]") {
    auto sha1 = verifierFor({{"type", "hmac"}, {"algorithm", "sha1"}, {"secrets", {"s3cret"}}});
    Request r;
    r.body = "hello";
    r.headers["x-eio-signature"] = "f875ad165d97aba6b68e2c2f7ea314aeb2a0082f";
    CHECK(verify(*sha1, r).accepted);
    r.headers["x-eio-signature"] = "F875AD165D97ABA6B68E2C2F7EA314AEB2A0082F";
    CHECK(verify(*sha1, r).accepted);

    auto sha512 = verifierFor({{"type", "hmac"}, {"secrets", {"s3cret"}}});
    Request empty;
    empty.headers["x-eio-signature"] =
        "5c88cb5e23abbfb541bb1faa1d8dffc45c3895e55710d991eebf1a7017fb7b9e9abd543dd4c43585de6f73cb6"
        "74322a1f04d4eccecadcc85bcd0a90f29845c00";
    CHECK(verify(*sha512, empty).accepted);
}

TEST_CASE("malformed signatures are refused cleanly, never matched", "[auth]") {
    const json vector = signatureVector("elastic.io");
    auto verifier = verifierFor({{"type", "hmac"}, {"secrets", {vector.at("secret")}}});
    const std::string good = vector.at("expected");
    Request r;
    r.body = vector.at("body");

    struct Bad {
        std::string value;
        std::string reason;
    };
    for (const auto& [value, reason] : std::vector<Bad>{
             {good.substr(0, good.size() - 1), "signature in 'x-eio-signature' is not hex"},
             {"zz" + good.substr(2), "signature in 'x-eio-signature' is not hex"},
             {good.substr(0, 64),
              "signature in 'x-eio-signature' has the wrong length for HMAC-SHA512"},
             {good + "00", "signature in 'x-eio-signature' has the wrong length for HMAC-SHA512"},
             {"sha512=" + good, "signature in 'x-eio-signature' is not hex"},
             {std::string(128, '0'), "signature does not match"},
         }) {
        INFO(value);
        r.headers["x-eio-signature"] = value;
        const auto verdict = verify(*verifier, r);
        CHECK_FALSE(verdict.accepted);
        CHECK(verdict.failure == Failure::invalidCredentials);
        CHECK(verdict.reason == reason);
        requireNoSecret(verdict.reason, {vector.at("secret"), good});
    }
    r.headers["x-eio-signature"] = "  ";
    CHECK(verify(*verifier, r).failure == Failure::missingCredentials);
    r.headers["x-eio-signature"] = " " + good + " ";  // surrounding blanks are not content
    CHECK(verify(*verifier, r).accepted);
}

TEST_CASE("stripe: several v1 signatures, v0 ignored, a broken header refused", "[auth]") {
    const json v = signatureVector("Stripe");
    auto verifier =
        verifierFor({{"type", "hmac"}, {"preset", "stripe"}, {"secrets", {v.at("secret")}}});
    const std::string good = v.at("expected_header");  // t=...,v1=<hex>
    const std::string ts = v.at("timestamp");
    const std::string sig = good.substr(good.find("v1=") + 3);
    const auto now = unixTime(ts);
    Request r;
    r.body = v.at("body");

    auto with = [&](const std::string& header) {
        r.headers["stripe-signature"] = header;
        return verify(*verifier, r, now);
    };
    CHECK(with("t=" + ts + ",v1=" + std::string(64, 'a') + ",v1=" + sig).accepted);
    CHECK(with("t=" + ts + ",v0=" + std::string(64, 'b') + ",v1=" + sig).accepted);
    CHECK(with("v1=" + sig + ",t=" + ts).accepted);
    CHECK(with("t=" + ts + ", v1=" + sig).accepted);
    CHECK(with("t=" + ts + ",v0=" + sig).reason ==
          "Stripe-Signature header has no valid v1 signature");
    CHECK(with("t=" + ts + ",v1=" + sig.substr(2)).reason ==
          "Stripe-Signature header has no valid v1 signature");
    CHECK(with("v1=" + sig).reason == "Stripe-Signature header has no timestamp");
    CHECK(with("t=" + ts + ",t=" + ts + ",v1=" + sig).reason ==
          "malformed Stripe-Signature header");
    CHECK(with("t=-" + ts + ",v1=" + sig).reason == "malformed timestamp in Stripe-Signature");
    CHECK(with("t=" + ts + "0,v1=" + sig).reason == "stale timestamp");
    CHECK(with("garbage").failure == Failure::invalidCredentials);
}

TEST_CASE("slack: both headers are needed, and the v0= version", "[auth]") {
    const json v = signatureVector("Slack");
    auto verifier =
        verifierFor({{"type", "hmac"}, {"preset", "slack"}, {"secrets", {v.at("secret")}}});
    const std::string good = v.at("expected_header");
    const auto now = unixTime(v.at("timestamp").get<std::string>());
    Request r;
    r.body = v.at("body");
    r.headers["x-slack-signature"] = good;
    CHECK(verify(*verifier, r, now).reason == "missing X-Slack-Request-Timestamp header");
    r.headers["x-slack-request-timestamp"] = v.at("timestamp");
    CHECK(verify(*verifier, r, now).accepted);
    r.headers["x-slack-signature"] = "v1=" + good.substr(3);
    CHECK(verify(*verifier, r, now).reason ==
          "signature in 'x-slack-signature' does not start with 'v0='");
    r.headers["x-slack-signature"] = good;
    r.headers["x-slack-request-timestamp"] = "1531420618.5";
    CHECK(verify(*verifier, r, now).reason == "malformed timestamp in X-Slack-Request-Timestamp");
}

TEST_CASE("standard webhooks: a list of signatures, only v1 counts, id is required", "[auth]") {
    const json v = signatureVector("Standard Webhooks");
    auto verifier = verifierFor(
        {{"type", "hmac"}, {"preset", "standard-webhooks"}, {"secrets", {v.at("secret")}}});
    const std::string good = v.at("expected_header");  // v1,<base64>
    const auto now = unixTime(v.at("timestamp").get<std::string>());
    Request r;
    r.body = v.at("body");
    r.headers["webhook-id"] = v.at("id");
    r.headers["webhook-timestamp"] = v.at("timestamp");

    auto with = [&](const std::string& header) {
        r.headers["webhook-signature"] = header;
        return verify(*verifier, r, now);
    };
    CHECK(with("v1,Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE= " + good).accepted);
    CHECK(with("v1a,c29tZSBlZDI1NTE5IHNpZ25hdHVyZQ== " + good).accepted);
    CHECK(with("v2," + good.substr(3)).reason ==
          "webhook-signature header has no valid v1 signature");
    CHECK(with("v1," + good.substr(4)).reason ==
          "webhook-signature header has no valid v1 signature");

    r.headers.erase("webhook-id");
    CHECK(with(good).reason == "missing webhook-id header");
    r.headers["webhook-id"] = "msg_other";
    CHECK(with(good).reason == "signature does not match");
}

TEST_CASE("twilio: URL with or without the default port, GET, repeated params, JSON bodies",
          "[auth]") {
    auto verifier = verifierFor({{"type", "hmac"}, {"preset", "twilio"}, {"secrets", {"12345"}}});
    const json v = signatureVector("Twilio");
    Request form;
    form.url = v.at("url");
    form.headers["content-type"] = "application/x-www-form-urlencoded";
    form.body =
        "To=%2B18005551212&From=%2B14158675309&Digits=1234&CallSid=CA1234567890ABCDE"
        "&Caller=%2B14158675309";
    form.headers["x-twilio-signature"] = v.at("expected_header");
    CHECK(verify(*verifier, form).accepted);  // parameter order on the wire does not matter

    SECTION("signed with :443, received without") {
        form.headers["x-twilio-signature"] = "kvajT1Ptam85bY51eRf/AJRuM3w=";
        CHECK(verify(*verifier, form).accepted);
    }
    SECTION("signed without the port, received with :443") {
        form.url = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
        CHECK(verify(*verifier, form).accepted);
    }
    SECTION("another URL is another signature") {
        // Twilio's libraries also try the URL without whatever port it has: so does this.
        form.url = "https://mycompany.com:8443/myapp.php?foo=1&bar=2";
        CHECK(verify(*verifier, form).accepted);
        form.url = "https://mycompany.com/myapp.php/?foo=1&bar=2";
        CHECK(verify(*verifier, form).reason == "signature does not match");
        form.url = "https://mycompany.com/myapp.php?foo=1&bar=3";
        CHECK(verify(*verifier, form).reason == "signature does not match");
        form.url = "http://mycompany.com/myapp.php?foo=1&bar=2";
        CHECK(verify(*verifier, form).reason == "signature does not match");
    }
    SECTION("a URL without scheme and host is the server's mistake, not the caller's") {
        form.url = "/myapp.php?foo=1&bar=2";
        CHECK(verify(*verifier, form).failure == Failure::internalError);
    }
    SECTION("http with :80") {
        Request r;
        r.url = "http://example.com/x";
        r.headers["content-type"] = "application/x-www-form-urlencoded";
        r.body = "a=1";
        r.headers["x-twilio-signature"] = "1GU2xk1AGfYyochri8VUnv+grzY=";
        CHECK(verify(*verifier, r).accepted);
    }
    SECTION("a GET is signed over its URL alone") {
        Request r;
        r.method = "GET";
        r.url = "https://hooks.example.com/hook/sms?From=%2B1555&Body=hi";
        r.headers["x-twilio-signature"] = "KT/BHAyt3ryDnWvwVwkS9h9V/es=";
        CHECK(verify(*verifier, r).accepted);
    }
    SECTION("repeated names: sorted by name, then value; exact repeats once") {
        Request r;
        r.url = "https://hooks.example.com/hook/sms";
        r.headers["content-type"] = "application/x-www-form-urlencoded";
        r.body = "b=2&a=z&a=y&a=y";
        r.headers["x-twilio-signature"] = "4zm42nxwr2moTgvmKY0hDF5ffy0=";
        CHECK(verify(*verifier, r).accepted);
    }
    SECTION("a JSON body is bound by bodySHA256 in the signed URL") {
        Request r;
        r.url =
            "https://example.com/myapp?bodySHA256="
            "5ccde7145dfb8f56479710896586cb9d5911809d83afbe34627818790db0aec9";
        r.headers["content-type"] = "application/json";
        r.body = R"({"CallSid":"CA1234567890ABCDE","Caller":"+12349013030"})";
        r.headers["x-twilio-signature"] = "hPXmLwIy3Fgqv1i9KPmH/HhQ6zo=";
        CHECK(verify(*verifier, r).accepted);
        r.body = changedAt(r.body, 5);
        CHECK(verify(*verifier, r).reason == "body does not match bodySHA256");
    }
    SECTION("malformed signature or form body") {
        form.headers["x-twilio-signature"] = "RSOYDt4T1cUTdK1PDd93/VVr8B";  // 19 bytes
        CHECK(verify(*verifier, form).reason ==
              "signature in 'x-twilio-signature' is not a base64 HMAC-SHA1");
        form.headers["x-twilio-signature"] = v.at("expected_header");
        form.body += "&x=%G1";
        CHECK(verify(*verifier, form).reason == "malformed form body");
    }
}
