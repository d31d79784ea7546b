#include "rate_limit_reset.hpp"

#include <algorithm>
#include <charconv>

namespace flowgate::plugins::twitter {

std::chrono::milliseconds rateLimitDelay(std::string_view resetEpochSeconds,
                                         std::chrono::system_clock::time_point now) {
    long long reset = 0;
    const char* end = resetEpochSeconds.data() + resetEpochSeconds.size();
    const auto result = std::from_chars(resetEpochSeconds.data(), end, reset);
    if (resetEpochSeconds.empty() || result.ec != std::errc() || result.ptr != end)
        return kDefaultRateLimitWait;
    const auto resetAt = std::chrono::system_clock::time_point(std::chrono::seconds(reset));
    const auto wait =
        std::chrono::ceil<std::chrono::seconds>(resetAt - now) + std::chrono::seconds(1);
    return std::clamp<std::chrono::seconds>(wait, std::chrono::seconds(1), kMaxRateLimitWait);
}

}  // namespace flowgate::plugins::twitter
