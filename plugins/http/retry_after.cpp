#include "retry_after.hpp"

#include <algorithm>
#include <cctype>

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/String.h>
#include <Poco/Timestamp.h>

namespace flowgate::plugins::http {

std::optional<std::chrono::milliseconds> parseRetryAfter(const std::string& value) {
    const std::string text = Poco::trim(value);
    if (text.empty()) return std::nullopt;
    if (std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); })) {
        if (text.size() > 9) return std::nullopt;  // over 30 years: not a real answer
        return std::chrono::seconds(std::stoll(text));
    }
    Poco::DateTime when;
    int zone = 0;
    if (!Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::HTTP_FORMAT, text, when, zone))
        return std::nullopt;
    when.makeUTC(zone);
    const Poco::Timestamp::TimeDiff micros = when.timestamp() - Poco::Timestamp();
    return std::chrono::milliseconds(std::max<Poco::Timestamp::TimeDiff>(micros / 1000, 0));
}

}  // namespace flowgate::plugins::http
