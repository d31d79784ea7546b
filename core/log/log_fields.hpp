// Structured fields on a log line: what a call site knows about the event (the flow,
// step, requestId, attempt; for the access log the HTTP exchange) carried as named
// parameters of the Poco::Message, so the JSON format (log/json_log_formatter.hpp) puts
// them in fields of their own. The text format shows only the message text: call sites
// keep the ids in the text as well.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include <Poco/Logger.h>
#include <Poco/Message.h>

namespace flowgate::log {

// The parameter names the JSON format knows, in the order it writes them. A parameter
// with another name is not written: this list is the one place field names are made.
namespace field {
inline constexpr const char* flow = "flow";
inline constexpr const char* step = "step";
inline constexpr const char* requestId = "requestId";
inline constexpr const char* attempt = "attempt";  // integer
inline constexpr const char* method = "method";
inline constexpr const char* path = "path";
inline constexpr const char* status = "status";          // integer
inline constexpr const char* durationMs = "durationMs";  // number
inline constexpr const char* remote = "remote";
}  // namespace field

inline constexpr std::array<const char*, 6> kTextFields = {
    field::flow, field::step, field::requestId, field::method, field::path, field::remote};
inline constexpr std::array<const char*, 3> kNumberFields = {field::attempt, field::status,
                                                             field::durationMs};

struct LogFields {
    std::string_view flow;
    std::string_view step;
    std::string_view requestId;
    int attempt = 0;  // 0: not known

    // Sets the known (non-empty) fields as parameters of `message`.
    void addTo(Poco::Message& message) const;
};

// Logs `text` from `logger` at `priority` with `fields`; nothing is built when the
// logger's level is below `priority`. Thread-safe like Poco::Logger.
void logWith(Poco::Logger& logger, Poco::Message::Priority priority, const std::string& text,
             const LogFields& fields);

}  // namespace flowgate::log
