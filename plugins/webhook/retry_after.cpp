#include "retry_after.hpp"

#include <algorithm>
#include <charconv>
#include <string>

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/DateTimeParser.h>

namespace flowgate::plugins::webhook {

namespace {

std::chrono::milliseconds bounded(std::chrono::seconds delay) {
    return std::clamp(delay, std::chrono::seconds(1), kMaxRetryAfter);
}

}  // namespace

std::chrono::milliseconds retryAfterDelay(std::string_view value,
                                          std::chrono::system_clock::time_point now) {
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    if (value.empty()) return kDefaultRetryAfter;

    long long seconds = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (error == std::errc() && end == value.data() + value.size())
        return bounded(std::chrono::seconds(std::max(0LL, seconds)));
    if (error == std::errc::result_out_of_range) return kMaxRetryAfter;

    Poco::DateTime date;
    int zone = 0;
    // Poco's parser accepts almost anything ("garbage" is a date in 1970), so only a date
    // that formats back to the same text counts: the IMF-fixdate senders must use.
    const std::string text(value);
    if (!Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::HTTP_FORMAT, text, date, zone) ||
        zone != 0 ||
        Poco::DateTimeFormatter::format(date, Poco::DateTimeFormat::HTTP_FORMAT) != text)
        return kDefaultRetryAfter;
    const auto at = std::chrono::system_clock::from_time_t(date.timestamp().epochTime());
    return bounded(std::chrono::ceil<std::chrono::seconds>(at - now));
}

}  // namespace flowgate::plugins::webhook
