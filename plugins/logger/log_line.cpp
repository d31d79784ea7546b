#include "log_line.hpp"

#include "json_text.hpp"

namespace flowgate::plugins::logger {

namespace {

// Room for a typical line up front, so that it is rarely copied while it grows.
constexpr std::size_t kLineBytes = 2048;

}  // namespace

// Written by hand rather than through a JSON object so the fields keep this order, which
// is the order people read them in.
std::string logLine(const Message& input, std::string_view time, std::string_view level,
                    std::string_view flow, std::string_view step,
                    const std::optional<std::string>& prefix) {
    std::string line;
    line.reserve(kLineBytes);
    JsonText json(line);
    line += "{\"time\":";
    json.string(time);
    line += ",\"level\":";
    json.string(level);
    line += ",\"flow\":";
    json.string(flow);
    line += ",\"step\":";
    json.string(step);
    line += ",\"requestId\":";
    const auto requestId = input.meta.find("requestId");  // end() if meta is no object
    if (requestId == input.meta.end())
        line += "null";
    else
        json.value(*requestId);
    if (prefix) {
        line += ",\"prefix\":";
        json.string(*prefix);
    }
    line += ",\"message\":{\"id\":";
    json.string(input.id);
    line += ",\"body\":";
    json.value(input.body);
    line += ",\"headers\":";
    json.value(input.headers);
    line += ",\"meta\":";
    json.value(input.meta);
    line += ",\"attachments\":";
    json.value(nlohmann::json(input.attachments));
    line += "}}";
    return line;
}

}  // namespace flowgate::plugins::logger
