#include "http/request_id.hpp"

#include <cstdint>
#include <random>
#include <stdexcept>

#include <openssl/rand.h>

namespace flowgate::http {

std::string newRequestId() {
    thread_local std::mt19937_64 random = [] {
        std::random_device device;
        std::seed_seq seed{device(), device(), device(), device(), device(), device()};
        return std::mt19937_64(seed);
    }();
    std::uint64_t hi = random(), lo = random();
    hi = (hi & ~0xF000ULL) | 0x4000ULL;                   // version 4
    lo = (lo & ~(0xC0ULL << 56)) | (0x80ULL << 56);       // RFC 4122 variant
    static const char* digits = "0123456789abcdef";
    std::string id(36, '-');
    int pos = 0;
    auto put = [&](std::uint64_t v, int nibbles) {
        for (int i = nibbles - 1; i >= 0; --i) {
            if (pos == 8 || pos == 13 || pos == 18 || pos == 23) ++pos;
            id[pos++] = digits[(v >> (i * 4)) & 0xF];
        }
    };
    put(hi, 16);
    put(lo, 16);
    return id;
}

std::string newResumeToken() {
    unsigned char bytes[16];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
        throw std::runtime_error("the system's random generator failed");
    static const char* digits = "0123456789abcdef";
    std::string token;
    token.reserve(2 * sizeof bytes);
    for (unsigned char b : bytes) {
        token.push_back(digits[b >> 4]);
        token.push_back(digits[b & 0xF]);
    }
    return token;
}

std::string resumeUrl(const std::string& publicBaseUrl,
                      const Request& request,
                      const std::string& executionId) {
    const std::string base =
        publicBaseUrl.empty() ? request.scheme() + request.serverAddress.toString() : publicBaseUrl;
    return base + "/resume/" + executionId + "/" + newResumeToken();
}

}  // namespace flowgate::http
