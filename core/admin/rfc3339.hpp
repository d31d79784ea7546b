// Times as the admin API and its CLI show and accept them: RFC 3339 in UTC with
// milliseconds ("2026-12-02T00:51:09.123Z"), or Unix epoch milliseconds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace flowgate::admin {

// "2026-12-02T00:51:09.123Z" for Unix epoch milliseconds `ms`.
std::string formatRfc3339(std::int64_t ms);

// Epoch milliseconds from "1764636669123" (digits only) or an RFC 3339 date-time with a
// "Z" or "+hh:mm" offset and optional fraction; nullopt for anything else.
std::optional<std::int64_t> parseTime(std::string_view text);

}  // namespace flowgate::admin
