// multipart/form-data bodies (RFC 7578 over RFC 2046), split without copying, and the
// Content-Disposition header both multipart parts and raw bodies carry. Pure: bytes in,
// fields and file parts out; storing the files is the caller's business.
//
// Why not Poco::Net::MultipartReader: in Poco 1.11 it accepts a body whose closing
// delimiter is missing (a truncated upload would be stored as if complete) and matches the
// first boundary by prefix. This splitter is strict about both; Poco still parses each
// part's header block (Poco::Net::MessageHeader) and the Content-Type parameters.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "flowgate/common/utf8.hpp"

namespace flowgate::http {

// "attachment; filename=\"a.pdf\"" and the like. Parameter names are case-insensitive;
// filename* (RFC 5987/6266, UTF-8 or ISO-8859-1) wins over filename when both are given
// and it can be decoded. In quoted values a backslash escapes only '"' and '\' (browsers
// send Windows paths unescaped). Values are as sent, not yet made safe for anything.
struct ContentDisposition {
    std::string type;  // lower-cased, e.g. "form-data", "attachment"
    std::optional<std::string> name;
    std::optional<std::string> fileName;
};
ContentDisposition parseContentDisposition(std::string_view value);

// A part whose Content-Disposition has a filename. `bytes` points into the body given to
// decodeMultipart and lives only as long as it.
struct MultipartFile {
    std::string field;        // the part's name parameter ("" if it had none)
    std::string fileName;     // as sent; may be "" (then the field name is the better name)
    std::string contentType;  // the part's Content-Type, "application/octet-stream" if none
    std::string_view bytes;
};

struct MultipartBody {
    // Parts without a filename, as strings: {"a": "1", "b": ["x", "y"]}; a name that occurs
    // more than once becomes an array in body order, as with form-urlencoded bodies.
    nlohmann::json fields = nlohmann::json::object();
    std::vector<MultipartFile> files;  // in body order
};

struct MultipartError {
    std::string message;
};

// `contentType` is the whole header value; its boundary parameter is required (1-70
// characters of RFC 2046's bchars). The body must contain the first delimiter (a preamble
// before it is ignored) and end with the closing delimiter (an epilogue after it is
// ignored); every part needs a Content-Disposition with a name or a filename; field values
// must be UTF-8. A file part with an empty filename and no bytes is a browser's "no file
// chosen" and is dropped.
std::variant<MultipartBody, MultipartError> decodeMultipart(std::string_view contentType,
                                                            std::string_view body);

// Well-formed UTF-8 check, shared with attachments (see flowgate/common/utf8.hpp).
using common::isValidUtf8;

}  // namespace flowgate::http
