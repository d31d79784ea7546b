// Turning a request body into the message body and its attachments, by content type.
//
//   content type                              message body                attachments
//   ----------------------------------------  --------------------------  ------------------------
//   application/json, */*+json                the JSON as is              none
//   application/x-www-form-urlencoded         {"field": "v" | ["v",…]}    none
//   application/xml, text/xml, */*+xml        XML by the rule in          none
//                                             webhooks/xml_to_json.hpp
//   multipart/form-data                       fields, as for forms        one per file part
//   anything else, or none (non-empty body)   {}                          the whole body, one
//   e.g. application/octet-stream, text/plain                             attachment
//   none, with an empty body                  {}                          none
//
// A raw attachment is named after the request's Content-Disposition filename (filename*
// preferred) if there is one, else "body"; its content type is the request's Content-Type
// header ("application/octet-stream" if absent). A multipart file is named after its part's
// filename (the part's field name if that is empty) with the part's Content-Type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "flowgate/message.hpp"

namespace flowgate::attachments {
class AttachmentStore;
}

namespace flowgate::http {

// What the caller answers when a body cannot be taken. `code` is the "error" of the JSON
// answer, `message` says what was wrong.
//
//   400 malformed_json | malformed_form | malformed_xml | xml_dtd_refused | xml_too_deep |
//       malformed_multipart
//   413 attachment_too_large | xml_too_large
//   415 unsupported_media_type   (the body needs an attachment and no store was given)
//   503 attachment_store_unavailable   (writing an attachment failed; nothing was kept)
struct DecodeError {
    int status;
    std::string code;
    std::string message;
    int line = 0;    // malformed_xml (and the other XML errors): 1-based position, 0 if unknown
    int column = 0;
    std::string detail = {};  // for the server log only (e.g. why storing failed); never sent
};

// Deeper documents are refused: serialising them would recurse that deep.
constexpr int kMaxJsonDepth = 256;
constexpr int kMaxXmlDepth = 256;

struct DecodeLimits {
    // Total bytes of all attachments of one request (the flow's limit); more is a 413
    // attachment_too_large, refused before anything is stored.
    std::uint64_t maxAttachmentBytes = std::numeric_limits<std::uint64_t>::max();
    int maxXmlDepth = kMaxXmlDepth;
    // Elements plus attributes of an XML body; more is a 413 xml_too_large. Bounds the
    // memory the JSON form of a document takes.
    std::size_t maxXmlNodes = 65536;

    // The limits for a service that reads bodies of at most `maxBodyBytes`: XML nodes scale
    // with the body limit (one per 16 bytes, at least 1024; 65536 for the default 1 MiB).
    static DecodeLimits forBodyLimit(std::size_t maxBodyBytes, std::uint64_t maxAttachmentBytes);
};

struct DecodedBody {
    nlohmann::json body = nlohmann::json::object();
    std::vector<flowgate::Attachment> attachments;  // already stored, durably
};

// Decodes `body` by `contentType` (the raw header value; parameters such as charset and
// boundary allowed; matching is case-insensitive). `contentDisposition` is the request's
// Content-Disposition header ("" if none), used only to name a raw attachment.
//
// Attachments are written through `store` under `executionId` (the request/message id) as
// the body is decoded, and are durable when this returns. On any error, nothing stays
// stored for `executionId`. A null `store` refuses every body that needs an attachment
// with 415. Thread-safe (no shared state besides the store). Error messages are always
// valid UTF-8 (safe to put in a JSON answer) and never contain server paths.
//
// Throws std::invalid_argument if an attachment must be stored and `executionId` is not
// a valid execution id (AttachmentStore::isValidExecutionId): a caller bug, not a request
// error.
std::variant<DecodedBody, DecodeError> decodeBody(std::string_view contentType,
                                                  std::string_view contentDisposition,
                                                  std::string_view body,
                                                  std::string_view executionId,
                                                  attachments::AttachmentStore* store,
                                                  const DecodeLimits& limits);

// Whether decodeBody may write an attachment file for this body: multipart, or a
// non-empty body of a type other than JSON, a form or XML (those are decoded in memory).
bool mayStoreAttachments(std::string_view contentType, std::string_view body);

// Whether decodeBody would take `body` as JSON as it is: a JSON media type, no deeper
// than kMaxJsonDepth, valid JSON (numbers a double holds, strings UTF-8; see
// webhooks/json_validator.hpp). Checks without building a tree, so the caller may store
// the bytes as they came (withoutUtf8Bom) instead of parsing and serialising them; when
// false, decodeBody says why (or decodes another type). `readableAfterEnd`: bytes after
// the body that may be read, as for isValidJson (enough of them spare a copy).
bool isValidJsonBody(std::string_view contentType, std::string_view body,
                     std::size_t readableAfterEnd = 0);

// Parses "a=1&b=2&a=3" into {"a": ["1","3"], "b": "2"}: repeated keys become arrays,
// '+' is a space, percent-escapes are decoded. Returns false on a bad escape or when a
// decoded key or value is not UTF-8 (it could not be serialised as JSON).
bool parseFormEncoded(std::string_view text, nlohmann::json& out);

}  // namespace flowgate::http
