#include "flowgate/common/hmac.hpp"

#include <stdexcept>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

namespace flowgate::common {

namespace {

struct MacFree {
    void operator()(EVP_MAC* mac) const { EVP_MAC_free(mac); }
};
struct MacCtxFree {
    void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};

const char* openSslDigestName(HmacAlgorithm algorithm) {
    switch (algorithm) {
    case HmacAlgorithm::sha1:
        return "SHA1";
    case HmacAlgorithm::sha256:
        return "SHA256";
    case HmacAlgorithm::sha512:
        return "SHA512";
    }
    return "SHA512";
}

const unsigned char* bytes(std::string_view s) {
    return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

std::optional<HmacAlgorithm> parseHmacAlgorithm(std::string_view name) {
    if (name == "sha1") return HmacAlgorithm::sha1;
    if (name == "sha256") return HmacAlgorithm::sha256;
    if (name == "sha512") return HmacAlgorithm::sha512;
    return std::nullopt;
}

std::string_view hmacAlgorithmName(HmacAlgorithm algorithm) {
    switch (algorithm) {
    case HmacAlgorithm::sha1:
        return "HMAC-SHA1";
    case HmacAlgorithm::sha256:
        return "HMAC-SHA256";
    case HmacAlgorithm::sha512:
        return "HMAC-SHA512";
    }
    return "HMAC";
}

std::size_t digestSize(HmacAlgorithm algorithm) {
    switch (algorithm) {
    case HmacAlgorithm::sha1:
        return 20;
    case HmacAlgorithm::sha256:
        return 32;
    case HmacAlgorithm::sha512:
        return 64;
    }
    return 0;
}

struct Hmac::Mac {
    std::unique_ptr<EVP_MAC, MacFree> mac;
};

Hmac::Hmac() : mac_(std::make_unique<Mac>()) {
    mac_->mac.reset(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
    if (!mac_->mac) throw std::runtime_error("OpenSSL offers no HMAC implementation");
}

Hmac::Hmac(Hmac&&) noexcept = default;
Hmac& Hmac::operator=(Hmac&&) noexcept = default;
Hmac::~Hmac() = default;

std::optional<std::string> Hmac::compute(HmacAlgorithm algorithm, std::string_view key,
                                         std::span<const std::string_view> parts) const {
    if (!mac_ || !mac_->mac) return std::nullopt;  // moved from
    std::unique_ptr<EVP_MAC_CTX, MacCtxFree> ctx(EVP_MAC_CTX_new(mac_->mac.get()));
    if (!ctx) return std::nullopt;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                         const_cast<char*>(openSslDigestName(algorithm)), 0),
        OSSL_PARAM_construct_end()};
    // A null key would mean "reuse the previous key": there is none, and keys are never empty.
    if (key.empty() || EVP_MAC_init(ctx.get(), bytes(key), key.size(), params) != 1)
        return std::nullopt;
    for (std::string_view part : parts)
        if (!part.empty() && EVP_MAC_update(ctx.get(), bytes(part), part.size()) != 1)
            return std::nullopt;
    std::string out(EVP_MAX_MD_SIZE, '\0');
    std::size_t length = 0;
    if (EVP_MAC_final(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &length,
                      out.size()) != 1)
        return std::nullopt;
    out.resize(length);
    return out;
}

std::optional<std::string> computeHmac(HmacAlgorithm algorithm, std::string_view key,
                                       std::string_view data) {
    const std::string_view parts[] = {data};
    try {
        return Hmac().compute(algorithm, key, parts);
    } catch (const std::runtime_error&) {
        return std::nullopt;
    }
}

std::optional<std::string> sha256(std::string_view data) {
    std::string out(EVP_MAX_MD_SIZE, '\0');
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &length,
                   EVP_sha256(), nullptr) != 1)
        return std::nullopt;
    out.resize(length);
    return out;
}

}  // namespace flowgate::common
