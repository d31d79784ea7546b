// Checking that bytes are JSON without building a tree (simdjson), for bodies that are
// stored as the caller sent them.
#pragma once

#include <cstddef>
#include <string_view>

namespace flowgate::http {

// Whether nlohmann/json would parse `text` (one JSON text, surrounding whitespace and one
// leading UTF-8 BOM allowed; strings valid UTF-8 with valid escapes; numbers a double
// holds) into a document no deeper than `maxDepth` nested arrays and objects. Agrees with
// nlohmann::json::accept(text) && depth <= maxDepth on every input, except that a NUL byte
// ends the text for nlohmann (it accepts "[1]\0junk") and is refused here.
//
// `readableAfterEnd`: how many bytes after text.end() the caller lets this read (never
// write); with at least SIMDJSON_PADDING (64) the text is checked in place, else it is
// copied into a per-thread buffer first. Thread-safe: each thread has its own parser.
bool isValidJson(std::string_view text, int maxDepth, std::size_t readableAfterEnd = 0);

// `text` without one leading UTF-8 byte order mark: a BOM is not part of the JSON text
// (RFC 8259 §8.1), so a body stored as it came must not keep it.
std::string_view withoutUtf8Bom(std::string_view text);

}  // namespace flowgate::http
