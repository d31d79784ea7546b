// How long a 429 asks us to wait: the Retry-After header (RFC 9110 10.2.3).
#pragma once

#include <chrono>
#include <string_view>

namespace flowgate::plugins::webhook {

// Used when the header is missing or unreadable.
inline constexpr std::chrono::seconds kDefaultRetryAfter{60};
// A receiver cannot park a work item for longer than this.
inline constexpr std::chrono::seconds kMaxRetryAfter{3600};

// `value` is delay-seconds or an HTTP-date; the result is at least one second and at most
// kMaxRetryAfter, kDefaultRetryAfter when `value` is neither.
std::chrono::milliseconds retryAfterDelay(std::string_view value,
                                          std::chrono::system_clock::time_point now);

}  // namespace flowgate::plugins::webhook
