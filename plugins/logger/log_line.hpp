// The logger's line: one JSON object {time, level, flow, step, requestId, prefix, message}.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "flowgate/message.hpp"

namespace flowgate::plugins::logger {

// Without the newline. Invalid UTF-8 in `input` is replaced, never refused.
std::string logLine(const Message& input, std::string_view time, std::string_view level,
                    std::string_view flow, std::string_view step,
                    const std::optional<std::string>& prefix);

}  // namespace flowgate::plugins::logger
