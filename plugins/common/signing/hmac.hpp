// The few cryptographic primitives request signers need, over OpenSSL 3.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace flowgate::plugins::signing {

enum class Digest { sha1, sha256 };

// HMAC of `data` under `key`. Throws std::runtime_error (without key material) if OpenSSL
// fails. Thread-safe.
std::string hmac(Digest digest, std::string_view key, std::string_view data);

// Standard base64 (RFC 4648), padded.
std::string encodeBase64(std::string_view bytes);

// Standard base64, with or without "=" padding; nullopt for characters outside the
// alphabet or a length no encoding has.
std::optional<std::string> decodeBase64(std::string_view text);

// `size` bytes from OpenSSL's CSPRNG; throws std::runtime_error if it cannot deliver.
std::string randomBytes(std::size_t size);

// Overwrites `secret`'s bytes (not optimised away), then clears it.
void wipe(std::string& secret);

}  // namespace flowgate::plugins::signing
