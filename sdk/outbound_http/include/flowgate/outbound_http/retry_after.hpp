// The Retry-After header of a 429 or 503 answer (RFC 9110 10.2.3), for plugins that call
// other systems and must wait as long as those ask.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace flowgate::net {

// Delay-seconds or an HTTP-date (IMF-fixdate), as a delay from `now` (a past date is 0);
// nullopt when `value` is empty or neither. Absurdly large values come back as at least
// 30 years, so callers bound the result rather than overflow.
std::optional<std::chrono::milliseconds> parseRetryAfter(
    std::string_view value, std::chrono::system_clock::time_point now);

}  // namespace flowgate::net
