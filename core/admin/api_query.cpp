#include "admin/api_query.hpp"

#include <algorithm>

#include "admin/rfc3339.hpp"
#include "text/percent_decoding.hpp"

namespace flowgate::admin {

namespace {

// Cursors carry a prefix so a number typed by hand is not taken for one by accident; they
// stay opaque to callers (the documented contract), so this format may change.
constexpr std::string_view kCursorPrefix = "c";

}  // namespace

ApiQuery::ApiQuery(std::string_view query, std::initializer_list<std::string_view> allowed) {
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        const auto name = text::percentDecode(pair.substr(0, eq), true);
        const auto value = text::percentDecode(
            eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
        if (!name || !value) throw BadParameter("the query string is not percent-encoded properly");
        if (std::find(allowed.begin(), allowed.end(), *name) == allowed.end())
            throw BadParameter("unknown parameter '" + *name + "'");
        if (!values_.emplace(*name, *value).second)
            throw BadParameter("parameter '" + *name + "' is given twice");
    }
}

std::string ApiQuery::text(const std::string& name) const {
    const auto it = values_.find(name);
    return it == values_.end() ? std::string() : it->second;
}

std::size_t ApiQuery::limit(std::size_t fallback, std::size_t max) const {
    const std::string value = text("limit");
    if (value.empty()) return fallback;
    if (value.size() > 6 || value.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(value) < 1 || std::stoul(value) > max)
        throw BadParameter("limit must be a number from 1 to " + std::to_string(max) + ", not '" +
                           value + "'");
    return std::stoul(value);
}

std::optional<std::int64_t> ApiQuery::time(const std::string& name) const {
    const std::string value = text(name);
    if (value.empty()) return std::nullopt;
    const auto ms = parseTime(value);
    if (!ms)
        throw BadParameter(name +
                           " must be an RFC 3339 time (2026-01-31T12:00:00Z) or epoch "
                           "milliseconds, not '" +
                           value + "'");
    return ms;
}

std::optional<std::int64_t> ApiQuery::cursor() const {
    const std::string value = text("cursor");
    if (value.empty()) return std::nullopt;
    const auto position = decodeCursor(value);
    if (!position) throw BadParameter("cursor '" + value + "' is not one this API handed out");
    return position;
}

std::string encodeCursor(std::int64_t position) {
    return std::string(kCursorPrefix) + std::to_string(position);
}

std::optional<std::int64_t> decodeCursor(std::string_view cursor) {
    if (!cursor.starts_with(kCursorPrefix)) return std::nullopt;
    const auto digits = cursor.substr(kCursorPrefix.size());
    if (digits.empty() || digits.size() > 18 ||
        digits.find_first_not_of("0123456789") != std::string_view::npos)
        return std::nullopt;
    return std::stoll(std::string(digits));
}

}  // namespace flowgate::admin
