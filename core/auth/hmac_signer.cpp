#include "auth/hmac_signer.hpp"

#include <stdexcept>

namespace flowgate::auth {

HmacSigner::HmacSigner(HmacAlgorithm algorithm, std::vector<std::string> keys)
    : algorithm_(algorithm), keys_(std::move(keys)) {
    if (keys_.empty()) throw std::invalid_argument("an HMAC needs at least one secret");
    for (const auto& key : keys_)
        if (key.empty()) throw std::invalid_argument("an HMAC secret must not be empty");
}

HmacSigner::HmacSigner(HmacSigner&&) noexcept = default;
HmacSigner& HmacSigner::operator=(HmacSigner&& other) noexcept {
    if (this != &other) {
        for (auto& key : keys_) wipe(key);
        algorithm_ = other.algorithm_;
        keys_ = std::move(other.keys_);
        hmac_ = std::move(other.hmac_);
    }
    return *this;
}

HmacSigner::~HmacSigner() {
    for (auto& key : keys_) wipe(key);
}

MacCheck HmacSigner::check(std::span<const std::string_view> parts,
                           std::span<const std::string> signatures) const {
    bool matched = false;
    bool failed = false;
    for (const auto& key : keys_) {
        auto expected = hmac_.compute(algorithm_, key, parts);
        if (!expected) {
            failed = true;
            continue;
        }
        // Non-short-circuit |: each comparison runs whatever the ones before found.
        for (const auto& signature : signatures)
            matched = matched | common::constantTimeEqual(*expected, signature);
        wipe(*expected);
    }
    if (matched) return MacCheck::match;
    return failed ? MacCheck::failed : MacCheck::mismatch;
}

}  // namespace flowgate::auth
