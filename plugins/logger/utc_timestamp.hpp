// Timestamps for log lines.
#pragma once

#include <chrono>
#include <string>

namespace flowgate::plugins::logger {

// ISO 8601 in UTC with milliseconds, e.g. "2024-05-01T12:34:56.789Z".
std::string utcTimestamp(std::chrono::system_clock::time_point time);

}  // namespace flowgate::plugins::logger
