#include "log/json_log_formatter.hpp"

#include <charconv>

#include <Poco/DateTimeFormatter.h>
#include <nlohmann/json.hpp>

#include "log/log_fields.hpp"

namespace flowgate::log {

const char* levelName(Poco::Message::Priority priority) {
    switch (priority) {
        case Poco::Message::PRIO_FATAL:
            return "fatal";
        case Poco::Message::PRIO_CRITICAL:
            return "critical";
        case Poco::Message::PRIO_ERROR:
            return "error";
        case Poco::Message::PRIO_WARNING:
            return "warning";
        case Poco::Message::PRIO_NOTICE:
            return "notice";
        case Poco::Message::PRIO_INFORMATION:
            return "info";
        case Poco::Message::PRIO_DEBUG:
            return "debug";
        case Poco::Message::PRIO_TRACE:
            return "trace";
    }
    return "info";
}

namespace {

// A number field as a JSON number; a value that is not one stays a string rather than
// being lost.
nlohmann::ordered_json number(const std::string& value) {
    long long integer = 0;
    const char* end = value.data() + value.size();
    if (auto [ptr, ec] = std::from_chars(value.data(), end, integer);
        ec == std::errc() && ptr == end)
        return integer;
    double real = 0;
    if (auto [ptr, ec] = std::from_chars(value.data(), end, real); ec == std::errc() && ptr == end)
        return real;
    return value;
}

}  // namespace

void JsonLogFormatter::format(const Poco::Message& message, std::string& text) {
    nlohmann::ordered_json line;
    line["time"] = Poco::DateTimeFormatter::format(message.getTime(), "%Y-%m-%dT%H:%M:%S.%iZ");
    line["level"] = levelName(message.getPriority());
    line["logger"] = message.getSource();
    line["message"] = message.getText();
    for (const char* name : kTextFields)
        if (message.has(name)) line[name] = message.get(name);
    for (const char* name : kNumberFields)
        if (message.has(name)) line[name] = number(message.get(name));
    line["pid"] = message.getPid();
    text = line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace flowgate::log
