#include "flowgate/outbound_http/retry_after.hpp"

#include <algorithm>
#include <charconv>
#include <string>

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/DateTimeParser.h>

namespace flowgate::net {

namespace {

constexpr std::chrono::hours kThirtyYears{24 * 365 * 30};

}  // namespace

std::optional<std::chrono::milliseconds> parseRetryAfter(
    std::string_view value, std::chrono::system_clock::time_point now) {
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    if (value.empty()) return std::nullopt;

    long long seconds = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (error == std::errc::result_out_of_range) return kThirtyYears;
    if (error == std::errc() && end == value.data() + value.size()) {
        if (seconds < 0) return std::nullopt;
        // Compared in seconds: converting a huge count to milliseconds would overflow.
        if (seconds >= std::chrono::duration_cast<std::chrono::seconds>(kThirtyYears).count())
            return kThirtyYears;
        return std::chrono::seconds(seconds);
    }

    Poco::DateTime date;
    int zone = 0;
    // Poco's parser accepts almost anything ("garbage" is a date in 1970), so only a date
    // that formats back to the same text counts: the IMF-fixdate senders must use.
    const std::string text(value);
    if (!Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::HTTP_FORMAT, text, date, zone) ||
        zone != 0 ||
        Poco::DateTimeFormatter::format(date, Poco::DateTimeFormat::HTTP_FORMAT) != text)
        return std::nullopt;
    const auto at = std::chrono::system_clock::from_time_t(date.timestamp().epochTime());
    return std::max<std::chrono::milliseconds>(
        std::chrono::ceil<std::chrono::seconds>(at - now), std::chrono::milliseconds(0));
}

}  // namespace flowgate::net
