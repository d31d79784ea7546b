// Replay protection for schemes that sign a Unix timestamp: a signed request is accepted
// only within a tolerance around the server clock, in both directions (a timestamp far in
// the future would otherwise stay replayable until then).
#pragma once

#include <chrono>
#include <string_view>

namespace flowgate::auth {

inline constexpr std::chrono::seconds kDefaultTimestampTolerance{300};

enum class TimestampCheck { fresh, malformed, stale };

// `unixSeconds` is decimal digits only (no sign, no fraction, at most 15 digits).
TimestampCheck checkTimestamp(std::string_view unixSeconds,
                              std::chrono::system_clock::time_point now,
                              std::chrono::seconds tolerance);

}  // namespace flowgate::auth
