// The "receivedAt" time of a webhook or resume call.
#pragma once

#include <string>

#include <Poco/Timestamp.h>

namespace flowgate::http {

// ISO 8601 in UTC with microseconds, exactly as Poco's ISO8601_FRAC_FORMAT writes it
// ("2026-12-02T07:13:21.123456Z"), for a fraction of its cost: every request needs one.
std::string receivedAtText(Poco::Timestamp at = Poco::Timestamp());

}  // namespace flowgate::http
