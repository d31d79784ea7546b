// The Retry-After header of a 429 or 503 answer.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace flowgate::plugins::http {

// Delay-seconds or an HTTP-date (a past date is 0); nullopt if absent or unreadable.
std::optional<std::chrono::milliseconds> parseRetryAfter(const std::string& value);

}  // namespace flowgate::plugins::http
