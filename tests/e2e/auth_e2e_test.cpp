// Credentials end to end: each trigger credential type and provider preset, signed the
// way the provider signs (computed here independently with OpenSSL), valid, tampered,
// stale and missing. A refused call never reaches the queue.
#include <ctime>
#include <thread>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <catch2/catch.hpp>

#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/test_config.hpp"

using namespace flowgate::test;
using nlohmann::json;

namespace {

std::string hmac(const EVP_MD* md, const std::string& key, const std::string& data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(md, key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
    return std::string(reinterpret_cast<char*>(out), len);
}

std::string hex(const std::string& bytes) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

std::string base64(const std::string& bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()),
                                  static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::string now() { return std::to_string(std::time(nullptr)); }

// A flow whose only step logs to `out`, behind credential `credential`.
json guardedFlow(const std::string& id, const std::string& credential,
                 const std::filesystem::path& out) {
    return {{"id", id},
            {"trigger", {{"credential", credential}}},
            {"steps", {{{"id", "log"}, {"component", "logger"}, {"function", "log"},
                        {"config", {{"file", out.string()}}}}}}};
}

struct Fixture {
    TestConfig config;
    std::filesystem::path out = config.file("out.log");
    std::unique_ptr<EngineProcess> engine;

    Fixture() {
        setenv("FLOWGATE_TEST_GH_SECRET", "It's a Secret to Everybody", 1);
        config.addCredential({{"id", "gh"}, {"type", "hmac"}, {"preset", "github"},
                              {"secrets", {{{"env", "FLOWGATE_TEST_GH_SECRET"}}}}});
        config.addCredential({{"id", "stripe"}, {"type", "hmac"}, {"preset", "stripe"},
                              {"secrets", {"whsec_old", "whsec_test_secret"}}});
        config.addCredential({{"id", "slack"}, {"type", "hmac"}, {"preset", "slack"},
                              {"secrets", {"8f742231b10e8888abcd99yyyzzz85a5"}}});
        config.addCredential({{"id", "shopify"}, {"type", "hmac"}, {"preset", "shopify"},
                              {"secrets", {"hush"}}});
        config.addCredential({{"id", "svix"}, {"type", "hmac"}, {"preset", "standard-webhooks"},
                              {"secrets", {"whsec_" + base64("standard-key-bytes")}}});
        config.addCredential({{"id", "twilio"}, {"type", "hmac"}, {"preset", "twilio"},
                              {"secrets", {"12345"}}});
        config.addCredential({{"id", "eio"}, {"type", "hmac"}, {"secrets", {"my_secret"}}});
        config.addCredential({{"id", "ops"}, {"type", "basic"},
                              {"users", {{{"username", "ops"}, {"password", "pa:ss"}}}}});
        config.addCredential({{"id", "crm"}, {"type", "apikey"}, {"header", "X-API-Key"},
                              {"queryParameter", "apiKey"}, {"keys", {"k-123"}}});
        for (const char* id : {"gh", "stripe", "slack", "shopify", "svix", "twilio", "eio", "ops", "crm"})
            config.addFlow(guardedFlow(std::string("f-") + id, id, out));
        engine = std::make_unique<EngineProcess>(config.configDir(), allPluginDirs(), config.logFile());
    }

    HttpResult post(const std::string& flow, const std::string& body,
                    std::map<std::string, std::string> headers,
                    const std::string& type = "application/json") {
        return request(engine->port(), {"POST", "/hook/" + flow, body, type, std::move(headers), false});
    }
    std::size_t stored() const { return jsonLines(out).size(); }
};

}  // namespace

TEST_CASE("HMAC presets: valid calls pass, tampered, stale and missing ones get 401",
          "[e2e][auth]") {
    Fixture f;
    const std::string body = R"({"id":1})";
    std::size_t accepted = 0;
    auto accept = [&](const HttpResult& r) {
        INFO(r.body);
        CHECK(r.status == 202);
        ++accepted;
    };
    auto refuse = [&](const HttpResult& r) {
        INFO(r.body);
        CHECK(r.status == 401);
        CHECK(r.json().at("error") == "unauthorized");
    };

    // GitHub
    const std::string gh = "sha256=" + hex(hmac(EVP_sha256(), "It's a Secret to Everybody", body));
    accept(f.post("f-gh", body, {{"X-Hub-Signature-256", gh}}));
    refuse(f.post("f-gh", body + " ", {{"X-Hub-Signature-256", gh}}));
    refuse(f.post("f-gh", body, {}));

    // Stripe, with the second of two rotating secrets
    const std::string ts = now();
    const std::string stripe = hex(hmac(EVP_sha256(), "whsec_test_secret", ts + "." + body));
    accept(f.post("f-stripe", body, {{"Stripe-Signature", "t=" + ts + ",v1=" + stripe}}));
    const std::string old = std::to_string(std::time(nullptr) - 3600);
    refuse(f.post("f-stripe", body,
                  {{"Stripe-Signature", "t=" + old + ",v1=" +
                                            hex(hmac(EVP_sha256(), "whsec_test_secret", old + "." + body))}}));
    const auto stale = f.post("f-stripe", body,
                              {{"Stripe-Signature", "t=" + old + ",v1=" +
                                    hex(hmac(EVP_sha256(), "whsec_test_secret", old + "." + body))}});
    CHECK(stale.json().at("message").get<std::string>().find("stale") != std::string::npos);

    // Slack (form body)
    const std::string form = "token=abc&text=hello";
    const std::string slack =
        "v0=" + hex(hmac(EVP_sha256(), "8f742231b10e8888abcd99yyyzzz85a5", "v0:" + ts + ":" + form));
    accept(f.post("f-slack", form, {{"X-Slack-Signature", slack}, {"X-Slack-Request-Timestamp", ts}},
                  "application/x-www-form-urlencoded"));
    refuse(f.post("f-slack", form,
                  {{"X-Slack-Signature", slack}, {"X-Slack-Request-Timestamp", std::to_string(std::stol(ts) + 1)}},
                  "application/x-www-form-urlencoded"));
    const std::string slackStale =
        "v0=" + hex(hmac(EVP_sha256(), "8f742231b10e8888abcd99yyyzzz85a5", "v0:" + old + ":" + form));
    refuse(f.post("f-slack", form, {{"X-Slack-Signature", slackStale}, {"X-Slack-Request-Timestamp", old}},
                  "application/x-www-form-urlencoded"));
    refuse(f.post("f-slack", form, {}, "application/x-www-form-urlencoded"));

    // Shopify
    const std::string shopify = base64(hmac(EVP_sha256(), "hush", body));
    accept(f.post("f-shopify", body, {{"X-Shopify-Hmac-Sha256", shopify}}));
    refuse(f.post("f-shopify", body, {{"X-Shopify-Hmac-Sha256", base64(hmac(EVP_sha256(), "hush!", body))}}));
    refuse(f.post("f-shopify", body, {}));

    // Standard Webhooks
    const std::string svix = "v1," + base64(hmac(EVP_sha256(), "standard-key-bytes",
                                                 "msg_1." + ts + "." + body));
    accept(f.post("f-svix", body,
                  {{"webhook-id", "msg_1"}, {"webhook-timestamp", ts}, {"webhook-signature", "v1,bm9wZQ== " + svix}}));
    refuse(f.post("f-svix", body,
                  {{"webhook-id", "msg_2"}, {"webhook-timestamp", ts}, {"webhook-signature", svix}}));
    const std::string svixStale = "v1," + base64(hmac(EVP_sha256(), "standard-key-bytes",
                                                      "msg_3." + old + "." + body));
    refuse(f.post("f-svix", body,
                  {{"webhook-id", "msg_3"}, {"webhook-timestamp", old}, {"webhook-signature", svixStale}}));
    refuse(f.post("f-svix", body, {}));

    // Twilio: the URL as called plus the sorted POST parameters
    const std::string url = "http://127.0.0.1:" + std::to_string(f.engine->port()) + "/hook/f-twilio";
    const std::string twilio = base64(hmac(EVP_sha1(), "12345", url + "Body" "hi" "From" "+1555"));
    accept(f.post("f-twilio", "From=%2B1555&Body=hi", {{"X-Twilio-Signature", twilio}},
                  "application/x-www-form-urlencoded"));
    refuse(f.post("f-twilio", "From=%2B1556&Body=hi", {{"X-Twilio-Signature", twilio}},
                  "application/x-www-form-urlencoded"));
    refuse(f.post("f-twilio", "From=%2B1555&Body=hi", {}, "application/x-www-form-urlencoded"));

    // elastic.io default: x-eio-signature, HMAC-SHA512, hex
    const std::string eioBody = R"({"msg":"Hello, world"})";
    accept(f.post("f-eio", eioBody, {{"x-eio-signature", hex(hmac(EVP_sha512(), "my_secret", eioBody))}}));
    refuse(f.post("f-eio", eioBody, {{"x-eio-signature", hex(hmac(EVP_sha512(), "my_secreT", eioBody))}}));
    refuse(f.post("f-eio", eioBody, {}));
    refuse(f.post("f-stripe", body, {}));

    // Only the accepted calls reached a step; no stored message keeps a signature.
    REQUIRE(eventually([&] { return f.stored() == accepted; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(f.stored() == accepted);
    const std::string stored = readFile(f.out);
    CHECK(stored.find(gh) == std::string::npos);
    CHECK(stored.find("x-hub-signature-256") == std::string::npos);
    // The log says which flow and why, and never prints a secret.
    const std::string log = readFile(f.config.logFile());
    CHECK(log.find("flow f-gh: refused call from 127.0.0.1") != std::string::npos);
    for (const char* secret : {"It's a Secret to Everybody", "whsec_test_secret", "hush", "my_secret"})
        CHECK(log.find(secret) == std::string::npos);
}

TEST_CASE("Basic and API key credentials", "[e2e][auth]") {
    Fixture f;
    auto basic = [&](const std::string& userPass) {
        return f.post("f-ops", "{}", {{"Authorization", "Basic " + base64(userPass)}});
    };
    CHECK(basic("ops:pa:ss").status == 202);
    const auto wrong = basic("ops:nope");
    CHECK(wrong.status == 401);
    CHECK(wrong.headers.at("www-authenticate").rfind("Basic realm=", 0) == 0);
    CHECK(f.post("f-ops", "{}", {}).status == 401);

    CHECK(f.post("f-crm", "{}", {{"x-api-key", "k-123"}}).status == 202);
    CHECK(request(f.engine->port(), {"POST", "/hook/f-crm?apiKey=k-123", "{}", "application/json", {}, false})
              .status == 202);
    CHECK(f.post("f-crm", "{}", {{"X-API-Key", "k-124"}}).status == 401);
    CHECK(f.post("f-crm", "{}", {}).status == 401);

    REQUIRE(eventually([&] { return f.stored() == 3; }));
    const std::string stored = readFile(f.out);
    CHECK(stored.find("k-123") == std::string::npos);
    CHECK(stored.find(base64("ops:pa:ss")) == std::string::npos);
}
