// The JSON log format (engine.json "logFormat": "json"): one object per line,
//   {"time":"2026-01-02T03:04:05.678Z","level":"info","logger":"flowgate.worker",
//    "message":"...","flow":"...","step":"...","requestId":"...","attempt":1,"pid":42}
// time is RFC 3339 UTC with milliseconds; the fields of log/log_fields.hpp follow the
// message when the call site set them. Text that is not valid UTF-8 (a plugin's log line,
// an error from outside) has each bad byte replaced by U+FFFD, so a line always parses.
#pragma once

#include <string>

#include <Poco/Formatter.h>
#include <Poco/Message.h>

namespace flowgate::log {

class JsonLogFormatter final : public Poco::Formatter {
public:
    // Replaces `text` with the line for `message`, without the newline. Thread-safe.
    void format(const Poco::Message& message, std::string& text) override;
};

// "error", "warning", "info", ...: the level names of both log formats.
const char* levelName(Poco::Message::Priority priority);

}  // namespace flowgate::log
