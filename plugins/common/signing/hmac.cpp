#include "signing/hmac.hpp"

#include <cctype>
#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace flowgate::plugins::signing {

std::string hmac(Digest digest, std::string_view key, std::string_view data) {
    const EVP_MD* md = digest == Digest::sha1 ? EVP_sha1() : EVP_sha256();
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (!HMAC(md, key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &size))
        throw std::runtime_error("OpenSSL could not compute an HMAC");
    return std::string(reinterpret_cast<const char*>(out), size);
}

std::string encodeBase64(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int size = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                     reinterpret_cast<const unsigned char*>(bytes.data()),
                                     static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(size));
    return out;
}

std::optional<std::string> decodeBase64(std::string_view text) {
    // EVP_DecodeBlock wants whole quads and counts padding as zero bytes, so the padding
    // is completed here and its bytes taken off afterwards.
    for (char c : text)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/' && c != '=')
            return std::nullopt;  // EVP_DecodeBlock would skip whitespace
    std::string padded(text);
    if (padded.size() % 4 == 1) return std::nullopt;
    while (padded.size() % 4 != 0) padded.push_back('=');
    std::size_t padding = 0;
    for (auto it = padded.rbegin(); it != padded.rend() && *it == '=' && padding < 2; ++it)
        ++padding;
    for (std::size_t i = 0; i + padding < padded.size(); ++i)
        if (padded[i] == '=') return std::nullopt;  // padding only at the end
    std::string out(padded.size() / 4 * 3, '\0');
    const int size = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                     reinterpret_cast<const unsigned char*>(padded.data()),
                                     static_cast<int>(padded.size()));
    if (size < 0) return std::nullopt;
    out.resize(static_cast<std::size_t>(size) - padding);
    return out;
}

std::string randomBytes(std::size_t size) {
    std::string out(size, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(size)) != 1)
        throw std::runtime_error("OpenSSL's random generator failed");
    return out;
}

void wipe(std::string& secret) {
    OPENSSL_cleanse(secret.data(), secret.size());
    secret.clear();
}

}  // namespace flowgate::plugins::signing
