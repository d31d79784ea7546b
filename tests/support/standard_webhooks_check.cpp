#include "support/standard_webhooks_check.hpp"

#include <chrono>
#include <cstdlib>
#include <sstream>

#include <Poco/Base64Decoder.h>
#include <Poco/Base64Encoder.h>
#include <Poco/HMACEngine.h>
#include <Poco/SHA2Engine.h>

namespace flowgate::test {

namespace {

// Poco's HMACEngine wants the block and digest sizes as members.
struct Sha256Engine : Poco::SHA2Engine {
    enum { BLOCK_SIZE = 64, DIGEST_SIZE = 32 };
    Sha256Engine() : Poco::SHA2Engine(Poco::SHA2Engine::SHA_256) {}
};

std::string header(const SeenRequest& request, const std::string& name) {
    const auto it = request.headers.find(name);
    return it == request.headers.end() ? std::string() : it->second;
}

}  // namespace

std::string standardWebhooksProblem(const SeenRequest& request, const std::string& secret,
                                    long long toleranceSeconds) {
    const std::string id = header(request, "webhook-id");
    const std::string timestamp = header(request, "webhook-timestamp");
    const std::string signatures = header(request, "webhook-signature");
    if (id.empty() || timestamp.empty() || signatures.empty()) return "missing webhook-* headers";
    const long long now = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
    if (std::llabs(now - std::atoll(timestamp.c_str())) > toleranceSeconds)
        return "stale timestamp";

    std::istringstream encodedKey(secret.substr(secret.rfind('_') + 1));
    Poco::Base64Decoder decoder(encodedKey);
    const std::string key((std::istreambuf_iterator<char>(decoder)),
                          std::istreambuf_iterator<char>());
    Poco::HMACEngine<Sha256Engine> hmac(key);
    hmac.update(id + "." + timestamp + "." + request.body);
    const auto& digest = hmac.digest();
    std::ostringstream expected;
    Poco::Base64Encoder encoder(expected);
    encoder.write(reinterpret_cast<const char*>(digest.data()),
                  static_cast<std::streamsize>(digest.size()));
    encoder.close();

    std::istringstream entries(signatures);
    std::string entry;
    while (entries >> entry)
        if (entry == "v1," + expected.str()) return {};
    return "no matching v1 signature";
}

}  // namespace flowgate::test
