// How long to wait after X answers 429: until x-rate-limit-reset, the epoch second at
// which the caller's window starts again.
#pragma once

#include <chrono>
#include <string_view>

namespace flowgate::plugins::twitter {

// X's rate-limit windows are 15 minutes (24 hours for the daily post cap, which a work
// item should not wait out in the queue; its retries then fail until the cap lifts).
inline constexpr std::chrono::seconds kMaxRateLimitWait{15 * 60};
// When the header is missing or unreadable.
inline constexpr std::chrono::seconds kDefaultRateLimitWait{60};

// The delay until `resetEpochSeconds` plus a second of slack for clock skew, at least one
// second, at most kMaxRateLimitWait; kDefaultRateLimitWait if the value is not a number.
std::chrono::milliseconds rateLimitDelay(std::string_view resetEpochSeconds,
                                         std::chrono::system_clock::time_point now);

}  // namespace flowgate::plugins::twitter
