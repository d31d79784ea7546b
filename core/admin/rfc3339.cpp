#include "admin/rfc3339.hpp"

#include <ctime>
#include <regex>

namespace flowgate::admin {

std::string formatRfc3339(std::int64_t ms) {
    const std::time_t seconds = static_cast<std::time_t>(ms / 1000 - (ms % 1000 < 0 ? 1 : 0));
    const int millis = static_cast<int>(((ms % 1000) + 1000) % 1000);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
    return buf;
}

std::optional<std::int64_t> parseTime(std::string_view text) {
    if (text.empty() || text.size() > 40) return std::nullopt;
    if (text.find_first_not_of("0123456789") == std::string_view::npos) {
        if (text.size() > 15) return std::nullopt;  // past year 33658: a mistake
        return std::stoll(std::string(text));
    }
    static const std::regex form(
        R"(^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.(\d{1,9}))?([Zz]|([+-])(\d{2}):(\d{2}))$)");
    std::cmatch m;
    if (!std::regex_match(text.data(), text.data() + text.size(), m, form)) return std::nullopt;
    auto num = [&](int i) { return std::stoi(m[i].str()); };
    std::tm tm{};
    tm.tm_year = num(1) - 1900;
    tm.tm_mon = num(2) - 1;
    tm.tm_mday = num(3);
    tm.tm_hour = num(4);
    tm.tm_min = num(5);
    tm.tm_sec = num(6);
    if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
        tm.tm_min > 59 || tm.tm_sec > 60)
        return std::nullopt;
    std::int64_t ms = static_cast<std::int64_t>(timegm(&tm)) * 1000;
    if (m[8].matched) ms += std::stoi((m[8].str() + "00").substr(0, 3));
    if (m[10].matched) {
        const int offset = (num(11) * 60 + num(12)) * 60 * 1000;
        ms += m[10].str() == "+" ? -offset : offset;
    }
    return ms;
}

}  // namespace flowgate::admin
