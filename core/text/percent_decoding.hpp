// Percent-decoding (RFC 3986 §2.1), the one implementation for URL paths, query strings,
// form bodies and RFC 5987 header values.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace flowgate::text {

// Decodes every %XX; with `plusIsSpace` (application/x-www-form-urlencoded) '+' is a
// space. nullopt if a '%' is not followed by two hex digits. The result is bytes: check
// it with isValidUtf8 where text is expected.
std::optional<std::string> percentDecode(std::string_view text, bool plusIsSpace);

}  // namespace flowgate::text
