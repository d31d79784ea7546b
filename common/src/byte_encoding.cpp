#include "flowgate/common/byte_encoding.hpp"

#include <array>
#include <cstdint>

namespace flowgate::common {

namespace {

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

constexpr std::array<int, 256> base64Values() {
    std::array<int, 256> values{};
    for (auto& v : values) v = -1;
    for (std::size_t i = 0; i < kBase64Alphabet.size(); ++i)
        values[static_cast<unsigned char>(kBase64Alphabet[i])] = static_cast<int>(i);
    return values;
}

}  // namespace

std::optional<std::string> decodeHex(std::string_view text) {
    if (text.size() % 2 != 0) return std::nullopt;
    std::string bytes;
    bytes.reserve(text.size() / 2);
    for (std::size_t i = 0; i < text.size(); i += 2) {
        const int high = hexValue(text[i]);
        const int low = hexValue(text[i + 1]);
        if (high < 0 || low < 0) return std::nullopt;
        bytes.push_back(static_cast<char>(high << 4 | low));
    }
    return bytes;
}

std::string encodeHex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string text;
    text.reserve(bytes.size() * 2);
    for (unsigned char b : bytes) {
        text.push_back(digits[b >> 4]);
        text.push_back(digits[b & 0xf]);
    }
    return text;
}

std::optional<std::string> decodeBase64(std::string_view text) {
    static constexpr auto values = base64Values();
    std::size_t padding = 0;
    while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=')
        ++padding;
    if (padding > 0 && text.size() % 4 != 0) return std::nullopt;
    const std::string_view data = text.substr(0, text.size() - padding);
    // A final group of one character carries six bits: no byte ends there.
    if (data.size() % 4 == 1) return std::nullopt;

    std::string bytes;
    bytes.reserve(data.size() * 3 / 4);
    std::uint32_t buffer = 0;
    int bits = 0;
    for (char c : data) {
        const int v = values[static_cast<unsigned char>(c)];
        if (v < 0) return std::nullopt;
        buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            bytes.push_back(static_cast<char>((buffer >> bits) & 0xff));
        }
    }
    // Bits left over must be zero, or two texts would decode to the same bytes.
    if ((buffer & ((1u << bits) - 1)) != 0) return std::nullopt;
    return bytes;
}

std::string encodeBase64(std::string_view bytes) {
    std::string text;
    text.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t n = static_cast<unsigned char>(bytes[i]) << 16 |
                                static_cast<unsigned char>(bytes[i + 1]) << 8 |
                                static_cast<unsigned char>(bytes[i + 2]);
        text.push_back(kBase64Alphabet[n >> 18 & 63]);
        text.push_back(kBase64Alphabet[n >> 12 & 63]);
        text.push_back(kBase64Alphabet[n >> 6 & 63]);
        text.push_back(kBase64Alphabet[n & 63]);
    }
    const std::size_t rest = bytes.size() - i;
    if (rest > 0) {
        std::uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
        if (rest == 2) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
        text.push_back(kBase64Alphabet[n >> 18 & 63]);
        text.push_back(kBase64Alphabet[n >> 12 & 63]);
        text.push_back(rest == 2 ? kBase64Alphabet[n >> 6 & 63] : '=');
        text.push_back('=');
    }
    return text;
}

}  // namespace flowgate::common
