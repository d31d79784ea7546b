// The engine log: one line per event on stderr, "time level source: text".
#pragma once

#include <string>

namespace flowgate::cli {

// Sets up Poco's root logger; `level` is a Poco level name ("information", "debug", ...).
void setUpLogging(const std::string& level);

}  // namespace flowgate::cli
