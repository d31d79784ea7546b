// Reading a work item's stored message (the JSON of flowgate::Message) in the worker.
#pragma once

#include <string_view>

#include "flowgate/message.hpp"

namespace flowgate::runtime {

// What `nlohmann::json::parse(text).get<Message>()` returns, and the same exceptions for
// the same text, without copying the parsed body, headers and meta once more: they are
// moved out of the parsed document. Throws nlohmann::json::exception.
Message readStoredMessage(std::string_view text);

}  // namespace flowgate::runtime
