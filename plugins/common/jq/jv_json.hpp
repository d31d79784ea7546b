// Converting between jq's values (jv) and the engine's JSON (nlohmann::json).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "libjq.hpp"

namespace flowgate::plugins::jq {

// jq 1.6 keeps every number as a double, so integers beyond 2^53 lose precision on the way
// in. Throws std::invalid_argument for what jq cannot hold (binary values, strings of 2 GiB
// or more, nesting deeper than 1000 levels).
Jv toJv(const nlohmann::json& value);

// `value` is borrowed. Integral numbers that fit in an int64 come back as integers, other
// numbers as doubles; NaN becomes null and +-infinity +-DBL_MAX, as jq itself prints them.
// Throws std::invalid_argument for nesting deeper than 1000 levels.
nlohmann::json toJson(jv value);

// The UTF-8 bytes of a jv string (borrowed), NUL characters included.
std::string stringValue(jv string);

}  // namespace flowgate::plugins::jq
