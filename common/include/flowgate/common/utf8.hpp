// UTF-8 validation, for what must be stored or shown as JSON text (message strings,
// plugin errors and log lines, tweet texts).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace flowgate::common {

// Length of the valid UTF-8 sequence starting at text[i] (i < text.size()), or 0 if it
// is not one (overlong forms, surrogates and code points above U+10FFFF are invalid).
std::size_t utf8SequenceLength(std::string_view text, std::size_t i);

// True if `text` is well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF).
bool isValidUtf8(std::string_view text);

// `text` with every byte that does not start a valid sequence replaced by U+FFFD: for
// text from plugins (errors, log lines) that must be stored or logged whatever it holds.
std::string replaceInvalidUtf8(std::string_view text);

}  // namespace flowgate::common
