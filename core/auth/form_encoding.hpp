// application/x-www-form-urlencoded, as URL query strings and form bodies use it: pairs
// separated by '&', name and value by the first '=', '+' for a space, %XX for a byte.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace flowgate::auth {

using FormParams = std::vector<std::pair<std::string, std::string>>;

// Every pair in order, names and values decoded; empty pairs ("a=1&&b=2") are skipped.
// nullopt if a '%' is not followed by two hex digits.
std::optional<FormParams> decodeFormEncoded(std::string_view text);

// The query of `url`: between the first '?' and a '#', "" if none.
std::string_view queryOf(std::string_view url);

// Whether a Content-Type value names application/x-www-form-urlencoded (any parameters,
// any case).
bool isFormContentType(std::string_view contentType);

}  // namespace flowgate::auth
