// Appends JSON text to a line: the bytes of value.dump(-1, ' ', false, replace), without
// building a string per value, and with plain ASCII strings copied rather than escaped
// byte by byte (most of what a log line carries).
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace flowgate::plugins::logger {

class JsonText {
public:
    // Appends to `out`, which must outlive this writer.
    explicit JsonText(std::string& out);

    // A logger must not fail on what it logs: invalid UTF-8 from an upstream step is
    // replaced (U+FFFD), as dump's error_handler_t::replace does.
    void value(const nlohmann::json& value);
    void string(std::string_view text);

private:
    // `text` as `json`, when `json` holds it already (nullptr: make one if needed).
    void string(std::string_view text, const nlohmann::json* json);

    std::string& out_;
    nlohmann::detail::serializer<nlohmann::json> serializer_;
};

}  // namespace flowgate::plugins::logger
