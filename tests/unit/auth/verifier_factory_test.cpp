// Credential documents: which are refused, with which file, pointer and reason, and that
// no error repeats a secret. Then which headers each credential marks as secret.
#include "unit/auth/auth_test_support.hpp"

using namespace flowgate;
using namespace flowgate::test;
using nlohmann::json;

namespace {

const std::string kSecret = "s3cret-value-that-must-not-leak";

// Requires an error at exactly `pointer` whose reason contains `part`, none elsewhere
// naming another file, and no error text holding the secret.
void requireError(const config::ConfigErrors& errors, const std::string& pointer,
                  const std::string& part) {
    std::string all;
    for (const auto& e : errors) all += e.toString() + "\n";
    INFO(all);
    bool found = false;
    for (const auto& e : errors) {
        CHECK(e.file == "credentials/test.json");
        found = found || (e.pointer == pointer && e.reason.find(part) != std::string::npos);
        requireNoSecret(e.toString(), {kSecret});
    }
    CHECK(found);
}

json hmac(json extra = json::object()) {
    json doc = {{"id", "h"}, {"type", "hmac"}, {"secrets", {kSecret}}};
    if (!extra.is_null()) doc.update(extra);
    return doc;
}

}  // namespace

TEST_CASE("valid trigger credentials of every kind build a verifier", "[auth]") {
    for (const json& doc :
         {json{{"type", "basic"}, {"users", {{{"username", "u"}, {"password", kSecret}}}}},
          json{{"type", "apikey"}, {"keys", {kSecret}}, {"description", "for the CRM"}},
          json{{"type", "apikey"},
               {"header", "Authorization"},
               {"queryParameter", "token"},
               {"keys", {kSecret}}},
          hmac(), hmac({{"algorithm", "sha1"}, {"encoding", "base64"}, {"prefix", "sha1="}}),
          hmac({{"preset", "github"}}), hmac({{"preset", "shopify"}}), hmac({{"preset", "twilio"}}),
          hmac({{"preset", "stripe"}, {"toleranceSeconds", 600}}), hmac({{"preset", "slack"}}),
          json{{"type", "hmac"},
               {"preset", "standard-webhooks"},
               {"secrets",
                {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}}}) {
        INFO(doc.dump());
        CHECK(verifierFor(doc));
        CHECK(auth::isTriggerCredentialType(doc.at("type").get<std::string>()));
    }
}

TEST_CASE("refused credentials name the file, the JSON pointer and the reason", "[auth]") {
    SECTION("a type that cannot guard a webhook") {
        CHECK_FALSE(auth::isTriggerCredentialType("oauth1"));
        requireError(errorsFor({{"type", "oauth1"}, {"consumerKey", kSecret}}), "/type",
                     "'oauth1' cannot authenticate a webhook");
    }
    SECTION("unknown preset") {
        requireError(
            errorsFor(hmac({{"preset", "gitlab"}})), "/preset",
            R"("gitlab" is not one of: github, stripe, slack, shopify, standard-webhooks, twilio)");
    }
    SECTION("missing secrets, generic and preset") {
        json generic = hmac();
        generic.erase("secrets");
        requireError(errorsFor(generic), "", "Missing required property 'secrets'");
        json preset = hmac({{"preset", "github"}});
        preset.erase("secrets");
        requireError(errorsFor(preset), "", "Missing required property 'secrets'");
    }
    SECTION("empty secret lists and empty secrets") {
        requireError(errorsFor(hmac({{"secrets", json::array()}})), "/secrets", "");
        requireError(errorsFor(hmac({{"secrets", {kSecret, ""}}})), "/secrets/1", "");
    }
    SECTION("bad algorithm and encoding") {
        requireError(errorsFor(hmac({{"algorithm", "md5"}})), "/algorithm",
                     R"("md5" is not one of: sha1, sha256, sha512)");
        requireError(errorsFor(hmac({{"encoding", "base32"}})), "/encoding",
                     R"("base32" is not one of: hex, base64)");
        requireError(errorsFor(hmac({{"header", "X Signature"}})), "/header", "");
        requireError(errorsFor(hmac({{"algorithm", 256}})), "/algorithm",
                     "the value is not one of: sha1, sha256, sha512");
    }
    SECTION("a preset takes no generic options, and a tolerance only if it signs a time") {
        requireError(errorsFor(hmac({{"preset", "github"}, {"algorithm", "sha1"}})), "",
                     "algorithm");
        requireError(errorsFor(hmac({{"preset", "github"}, {"toleranceSeconds", 60}})),
                     "/toleranceSeconds", "preset 'github' signs no timestamp");
        requireError(errorsFor(hmac({{"preset", "stripe"}, {"toleranceSeconds", 0}})),
                     "/toleranceSeconds", "");
        requireError(errorsFor(hmac({{"preset", "slack"}, {"toleranceSeconds", "300"}})),
                     "/toleranceSeconds", "");
    }
    SECTION("a standard-webhooks secret must be base64 after whsec_") {
        requireError(
            errorsFor(hmac({{"preset", "standard-webhooks"},
                            {"secrets", {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", kSecret}}})),
            "/secrets/1", "not a Standard Webhooks secret");
    }
    SECTION("a typo in a property name is not silently ignored") {
        json doc = hmac();
        doc.erase("secrets");
        doc["secret"] = kSecret;
        requireError(errorsFor(doc), "", "secret");
    }
    SECTION("basic: users, username and password") {
        requireError(errorsFor({{"type", "basic"}, {"users", json::array()}}), "/users", "");
        requireError(errorsFor({{"type", "basic"}, {"users", {{{"username", "u"}}}}}), "/users/0",
                     "Missing required property 'password'");
        requireError(errorsFor({{"type", "basic"},
                                {"users", {{{"username", "a:b"}, {"password", kSecret}}}}}),
                     "/users/0/username", "");
        requireError(
            errorsFor({{"type", "basic"}, {"users", {{{"username", "u"}, {"password", 42}}}}}),
            "/users/0/password", "");
    }
    SECTION("apikey: keys") {
        requireError(errorsFor({{"type", "apikey"}}), "", "Missing required property 'keys'");
        requireError(errorsFor({{"type", "apikey"}, {"keys", kSecret}}), "/keys", "");
        requireError(errorsFor({{"type", "apikey"}, {"keys", {kSecret}}, {"queryParameter", ""}}),
                     "/queryParameter", "");
    }
}

TEST_CASE("secret headers: credentials and signatures a stored message must not keep", "[auth]") {
    using V = std::vector<std::string>;
    CHECK(auth::secretHeaders(credential(hmac())) == V{"x-eio-signature"});
    CHECK(auth::secretHeaders(credential(hmac({{"header", "X-Sig"}}))) == V{"x-sig"});
    CHECK(auth::secretHeaders(credential(hmac({{"preset", "github"}}))) ==
          V{"x-hub-signature-256", "x-hub-signature"});
    CHECK(auth::secretHeaders(credential(hmac({{"preset", "stripe"}}))) == V{"stripe-signature"});
    CHECK(auth::secretHeaders(credential(hmac({{"preset", "slack"}}))) == V{"x-slack-signature"});
    CHECK(auth::secretHeaders(credential(hmac({{"preset", "shopify"}}))) ==
          V{"x-shopify-hmac-sha256"});
    CHECK(auth::secretHeaders(credential(hmac({{"preset", "twilio"}}))) == V{"x-twilio-signature"});
    CHECK(auth::secretHeaders(
              credential({{"type", "hmac"},
                          {"preset", "standard-webhooks"},
                          {"secrets", {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}})) ==
          V{"webhook-signature"});
    CHECK(auth::secretHeaders(
              credential({{"type", "apikey"}, {"header", "X-API-Key"}, {"keys", {kSecret}}})) ==
          V{"x-api-key"});
    CHECK(auth::secretHeaders(credential({{"type", "oauth1"}})).empty());
}
