#include "auth/hmac_signer.hpp"

#include <stdexcept>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "auth/constant_time.hpp"

namespace flowgate::auth {

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

std::unique_ptr<EVP_MAC, MacFree> fetchHmac() {
    std::unique_ptr<EVP_MAC, MacFree> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
    if (!mac) throw std::runtime_error("OpenSSL offers no HMAC implementation");
    return mac;
}

std::optional<std::string> hmacWith(EVP_MAC* mac, HmacAlgorithm algorithm, std::string_view key,
                                    std::span<const std::string_view> parts) {
    std::unique_ptr<EVP_MAC_CTX, MacCtxFree> ctx(EVP_MAC_CTX_new(mac));
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

struct HmacSigner::Mac {
    std::unique_ptr<EVP_MAC, MacFree> mac;
};

HmacSigner::HmacSigner(HmacAlgorithm algorithm, std::vector<std::string> keys)
    : algorithm_(algorithm), keys_(std::move(keys)), mac_(std::make_unique<Mac>()) {
    if (keys_.empty()) throw std::invalid_argument("an HMAC needs at least one secret");
    for (const auto& key : keys_)
        if (key.empty()) throw std::invalid_argument("an HMAC secret must not be empty");
    mac_->mac = fetchHmac();
}

HmacSigner::HmacSigner(HmacSigner&&) noexcept = default;
HmacSigner& HmacSigner::operator=(HmacSigner&& other) noexcept {
    if (this != &other) {
        for (auto& key : keys_) wipe(key);
        algorithm_ = other.algorithm_;
        keys_ = std::move(other.keys_);
        mac_ = std::move(other.mac_);
    }
    return *this;
}

HmacSigner::~HmacSigner() {
    for (auto& key : keys_) wipe(key);
}

MacCheck HmacSigner::check(std::span<const std::string_view> parts,
                           std::span<const std::string> signatures) const {
    if (!mac_ || !mac_->mac) return MacCheck::failed;  // moved from
    bool matched = false;
    bool failed = false;
    for (const auto& key : keys_) {
        auto expected = hmacWith(mac_->mac.get(), algorithm_, key, parts);
        if (!expected) {
            failed = true;
            continue;
        }
        // Non-short-circuit |: each comparison runs whatever the ones before found.
        for (const auto& signature : signatures)
            matched = matched | constantTimeEqual(*expected, signature);
        wipe(*expected);
    }
    if (matched) return MacCheck::match;
    return failed ? MacCheck::failed : MacCheck::mismatch;
}

std::optional<std::string> computeHmac(HmacAlgorithm algorithm, std::string_view key,
                                       std::span<const std::string_view> parts) {
    std::unique_ptr<EVP_MAC, MacFree> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
    if (!mac) return std::nullopt;
    return hmacWith(mac.get(), algorithm, key, parts);
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

void wipe(std::string& secret) {
    if (!secret.empty()) OPENSSL_cleanse(secret.data(), secret.size());
    secret.clear();
}

}  // namespace flowgate::auth
