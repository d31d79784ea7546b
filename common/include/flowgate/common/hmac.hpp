// HMAC and SHA-256 with OpenSSL 3 (EVP_MAC), over a message given in parts so that a
// signed payload such as "<ts>.<body>" is never copied together. The one implementation
// for webhook verification (core/auth) and request signing (plugins).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace flowgate::common {

enum class HmacAlgorithm { sha1, sha256, sha512 };

std::optional<HmacAlgorithm> parseHmacAlgorithm(std::string_view name);  // "sha256", ...
std::string_view hmacAlgorithmName(HmacAlgorithm algorithm);             // "HMAC-SHA256"
std::size_t digestSize(HmacAlgorithm algorithm);                         // in bytes

// OpenSSL's HMAC, fetched once. Immutable; compute() may be called from several threads
// at once (each call uses its own OpenSSL context).
class Hmac {
public:
    // Throws std::runtime_error if OpenSSL offers no HMAC.
    Hmac();
    Hmac(Hmac&&) noexcept;
    Hmac& operator=(Hmac&&) noexcept;
    ~Hmac();

    // The HMAC of the concatenated `parts` under `key`; nullopt for an empty key or if
    // OpenSSL failed.
    std::optional<std::string> compute(HmacAlgorithm algorithm, std::string_view key,
                                       std::span<const std::string_view> parts) const;

private:
    struct Mac;
    std::unique_ptr<Mac> mac_;
};

// One HMAC of `data` (fetches OpenSSL's HMAC each call: for the odd signature, not a loop).
std::optional<std::string> computeHmac(HmacAlgorithm algorithm, std::string_view key,
                                       std::string_view data);

// SHA-256 of `data`; nullopt if OpenSSL failed.
std::optional<std::string> sha256(std::string_view data);

}  // namespace flowgate::common
