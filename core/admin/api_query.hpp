// The query string of an admin API call, checked: each problem becomes a reason for a 400.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace flowgate::admin {

// A parameter the caller got wrong; what() is the reason the 400 carries.
class BadParameter : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

class ApiQuery {
public:
    // Parses "a=1&b=x%20y"; throws BadParameter for bad encoding, a repeated name, or a
    // name not in `allowed`.
    ApiQuery(std::string_view query, std::initializer_list<std::string_view> allowed);

    std::string text(const std::string& name) const;  // "" when absent
    // limit: 1..max, `fallback` when absent.
    std::size_t limit(std::size_t fallback, std::size_t max) const;
    // A time parameter (RFC 3339 or epoch ms).
    std::optional<std::int64_t> time(const std::string& name) const;
    // The opaque cursor a page handed out as nextCursor.
    std::optional<std::int64_t> cursor() const;

private:
    std::map<std::string, std::string> values_;
};

// The cursor text of position `position` (and back, for ApiQuery::cursor).
std::string encodeCursor(std::int64_t position);
std::optional<std::int64_t> decodeCursor(std::string_view cursor);

}  // namespace flowgate::admin
