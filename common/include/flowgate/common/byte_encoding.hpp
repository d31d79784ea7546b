// Hex and base64 (RFC 4648, standard alphabet) for signatures, keys and digests. Decoders are
// strict: anything but a canonical encoding is refused, never "repaired".
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace flowgate::common {

// Pairs of hex digits, either case; nullopt for an odd length or any other character.
std::optional<std::string> decodeHex(std::string_view text);
std::string encodeHex(std::string_view bytes);  // lower case

// With or without "=" padding (if present it must be complete); nullopt for characters
// outside the alphabet, whitespace, a length no encoding has, or non-zero unused bits.
std::optional<std::string> decodeBase64(std::string_view text);
std::string encodeBase64(std::string_view bytes);  // padded

}  // namespace flowgate::common
