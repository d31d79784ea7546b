// Turning a request body into the message body, by content type. Pure: bytes in, JSON
// or a caller-facing error out.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

namespace flowgate::http {

struct DecodeError {
    int status;        // 400 malformed, 415 unsupported
    std::string code;  // machine-readable, e.g. "malformed_json"
    std::string message;
};

// Deeper documents are refused: serialising them would recurse that deep.
constexpr int kMaxJsonDepth = 256;

// `contentType` is the raw header value (parameters such as charset are allowed).
// Supported: application/json and any +json type, application/x-www-form-urlencoded.
// An empty body without content type is an empty object.
std::variant<nlohmann::json, DecodeError> decodeBody(std::string_view contentType,
                                                     std::string_view body);

// Parses "a=1&b=2&a=3" into {"a": ["1","3"], "b": "2"}: repeated keys become arrays,
// '+' is a space, percent-escapes are decoded. Returns false on a bad escape.
bool parseFormEncoded(std::string_view text, nlohmann::json& out);

}  // namespace flowgate::http
