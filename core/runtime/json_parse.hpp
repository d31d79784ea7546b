// Parsing a stored message's JSON in the worker: simdjson reads the text, nlohmann's values
// are built from what it read, so nlohmann's character-at-a-time lexer does not run on
// every execution (it was a quarter of a worker's CPU, issue 9).
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

namespace flowgate::runtime {

// What `nlohmann::json::parse(text)` returns (the same values of the same types: a
// non-negative integer is number_unsigned, as nlohmann makes it), and for text simdjson
// refuses, nlohmann's own parse with its exceptions. Throws nlohmann::json::exception.
nlohmann::json parseJson(std::string_view text);

}  // namespace flowgate::runtime
