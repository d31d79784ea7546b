// Reading what the X API answered to POST /2/tweets.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace flowgate::plugins::twitter {

// The "data" object of a 201 answer ({"id", "text", ...}). Throws std::runtime_error if
// the body is not JSON with a "data" object holding a string "id".
nlohmann::json createdTweet(const std::string& body);

// X's own reason for a refusal, from the problem-details body it sends
// ({"title", "detail", ...} or {"errors": [{"message"}]}), cut to a readable length; ""
// if there is none. X does not echo credentials, and only these fields are read.
std::string refusalReason(const std::string& body);

}  // namespace flowgate::plugins::twitter
