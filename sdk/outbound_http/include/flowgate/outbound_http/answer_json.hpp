// Parsing what another system answered. Its JSON is untrusted: a document nested
// thousands deep parses fine but overflows the stack of whatever walks it later (storing
// the message serialises it recursively), so deeper documents are refused here, with the
// same bound the Webhooks Service puts on incoming bodies.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

namespace flowgate::net {

inline constexpr int kMaxAnswerJsonDepth = 256;

// The parsed document, or a discarded value (is_discarded()) if `text` is not JSON or
// nests deeper than kMaxAnswerJsonDepth.
nlohmann::json parseAnswerJson(std::string_view text);

}  // namespace flowgate::net
