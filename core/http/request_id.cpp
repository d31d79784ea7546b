#include "http/request_id.hpp"

#include <chrono>
#include <cstdint>
#include <random>
#include <stdexcept>

#include "flow/resume_url.hpp"

namespace flowgate::http {

std::string newRequestId() {
    thread_local std::mt19937_64 random = [] {
        std::random_device device;
        std::seed_seq seed{device(), device(), device(), device(), device(), device()};
        return std::mt19937_64(seed);
    }();
    // Version 7 (RFC 9562): the first 48 bits are the Unix time in ms, so ids made
    // later sort later and the indexes keyed by them (the queue's, the history's) grow
    // at their right end instead of taking inserts at random places; 74 random bits.
    const auto ms = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count());
    std::uint64_t hi = (ms << 16) | (random() & 0x0FFFULL) | 0x7000ULL;  // version 7
    std::uint64_t lo = random();
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

std::string resumeUrl(const std::string& publicBaseUrl,
                      const Request& request,
                      const std::string& executionId) {
    const std::string base =
        publicBaseUrl.empty() ? request.scheme() + request.serverAddress.toString() : publicBaseUrl;
    return flow::mintResumeUrl(base, executionId);
}

}  // namespace flowgate::http
