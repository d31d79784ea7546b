// The engine log: one line per event on stderr, as text ("time [pid] level source: text")
// or as JSON (log/json_log_formatter.hpp).
#pragma once

#include <string>

namespace flowgate::cli {

// Sets up Poco's root logger; `level` is a Poco level name ("information", "debug", ...),
// `format` "text" or "json"; lines go to descriptor `fd`.
void setUpLogging(const std::string& level, const std::string& format = "text", int fd = 2);

}  // namespace flowgate::cli
