// HMAC with OpenSSL 3 (EVP_MAC), over a message given in parts so a signed payload such
// as "<ts>.<body>" is never copied together, and a check of presented signatures against
// every key of a rotation set.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace flowgate::auth {

enum class HmacAlgorithm { sha1, sha256, sha512 };

std::optional<HmacAlgorithm> parseHmacAlgorithm(std::string_view name);  // "sha256", ...
std::string_view hmacAlgorithmName(HmacAlgorithm algorithm);             // "HMAC-SHA256"
std::size_t digestSize(HmacAlgorithm algorithm);                         // in bytes

enum class MacCheck { match, mismatch, failed };

// The keys of one credential (several while a secret is rotated). Immutable after
// construction; check() may be called from several threads at once (each call uses its
// own OpenSSL context). The keys are wiped from memory when the signer is destroyed.
class HmacSigner {
public:
    // Throws std::invalid_argument for no key or an empty key, std::runtime_error if
    // OpenSSL offers no HMAC. Messages never contain key material.
    HmacSigner(HmacAlgorithm algorithm, std::vector<std::string> keys);
    HmacSigner(HmacSigner&&) noexcept;
    HmacSigner& operator=(HmacSigner&&) noexcept;
    ~HmacSigner();

    // Whether the HMAC of the concatenated `parts` under any key equals any of the
    // decoded `signatures`. Every key is computed and compared against every signature of
    // the right length, whatever matched before; `failed` if OpenSSL failed.
    MacCheck check(std::span<const std::string_view> parts,
                   std::span<const std::string> signatures) const;

    HmacAlgorithm algorithm() const { return algorithm_; }

private:
    struct Mac;
    HmacAlgorithm algorithm_;
    std::vector<std::string> keys_;
    std::unique_ptr<Mac> mac_;
};

// One HMAC of the concatenated `parts`; nullopt if OpenSSL failed. For tools and tests.
std::optional<std::string> computeHmac(HmacAlgorithm algorithm, std::string_view key,
                                       std::span<const std::string_view> parts);

// SHA-256 of `data`; nullopt if OpenSSL failed. Used to bring secrets of any length to
// one digest length before a constant-time comparison.
std::optional<std::string> sha256(std::string_view data);

// Overwrites `secret`'s bytes (OPENSSL_cleanse: not optimised away), then clears it.
void wipe(std::string& secret);

}  // namespace flowgate::auth
