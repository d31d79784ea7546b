#include "auth/timestamp_window.hpp"

#include <cstdint>

namespace flowgate::auth {

TimestampCheck checkTimestamp(std::string_view unixSeconds,
                              std::chrono::system_clock::time_point now,
                              std::chrono::seconds tolerance) {
    if (unixSeconds.empty() || unixSeconds.size() > 15) return TimestampCheck::malformed;
    std::int64_t seconds = 0;
    for (char c : unixSeconds) {
        if (c < '0' || c > '9') return TimestampCheck::malformed;
        seconds = seconds * 10 + (c - '0');
    }
    const std::int64_t nowSeconds =
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    const std::int64_t difference = seconds - nowSeconds;  // both far below 2^62
    const std::int64_t limit = tolerance.count();
    return difference > limit || difference < -limit ? TimestampCheck::stale
                                                     : TimestampCheck::fresh;
}

}  // namespace flowgate::auth
