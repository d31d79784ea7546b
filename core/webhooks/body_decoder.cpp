#include "webhooks/body_decoder.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "attachments/attachment_store.hpp"
#include "webhooks/json_validator.hpp"
#include "webhooks/multipart_decoder.hpp"
#include "webhooks/xml_to_json.hpp"
#include "text/percent_decoding.hpp"

namespace flowgate::http {

using nlohmann::json;

namespace {

// Without spaces, lower case. ASCII by hand: std::isspace/std::tolower cost a library call
// per character, on every request.
std::string mediaType(std::string_view contentType) {
    std::string type;
    for (const char c : contentType.substr(0, contentType.find(';'))) {
        if (c == ' ' || (c >= '\t' && c <= '\r')) continue;  // what std::isspace skips
        type += c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    }
    return type;
}

bool hasSuffix(const std::string& type, std::string_view suffix) {
    return type.size() > suffix.size() &&
           type.compare(type.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool isJsonType(const std::string& type) {
    return type == "application/json" || hasSuffix(type, "+json");
}

bool isXmlType(const std::string& type) {
    return type == "application/xml" || type == "text/xml" || hasSuffix(type, "+xml");
}

// For messages that echo caller input: printable ASCII only, at most 100 characters.
std::string printable(std::string_view text) {
    std::string out;
    for (unsigned char c : text.substr(0, 100)) out += (c >= 0x20 && c < 0x7F) ? static_cast<char>(c) : '?';
    return out;
}

// Nesting depth of a JSON text, ignoring brackets inside strings. Linear and cheap, so
// hostile depth is refused before the parser builds anything.
int nestingDepth(std::string_view text) {
    int depth = 0, deepest = 0;
    bool inString = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (inString) {
            if (c == '\\') ++i;
            else if (c == '"') inString = false;
        } else if (c == '"') {
            inString = true;
        } else if (c == '[' || c == '{') {
            deepest = std::max(deepest, ++depth);
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return deepest;
}

bool formDecode(std::string_view in, std::string& out) {
    auto decoded = text::percentDecode(in, /*plusIsSpace=*/true);
    if (!decoded) return false;
    out = std::move(*decoded);
    return true;
}

}  // namespace

bool parseFormEncoded(std::string_view text, json& out) {
    out = json::object();
    std::string key, value;
    while (!text.empty()) {
        const std::size_t amp = text.find('&');
        std::string_view pair = text.substr(0, amp);
        text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
        if (pair.empty()) continue;
        const std::size_t eq = pair.find('=');
        if (!formDecode(pair.substr(0, eq), key)) return false;
        if (!formDecode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), value))
            return false;
        if (!isValidUtf8(key) || !isValidUtf8(value)) return false;
        auto it = out.find(key);
        if (it == out.end()) {
            out[key] = value;
        } else {
            if (!it->is_array()) *it = json::array({*it});
            it->push_back(value);
        }
    }
    return true;
}

DecodeLimits DecodeLimits::forBodyLimit(std::size_t maxBodyBytes, std::uint64_t maxAttachmentBytes) {
    DecodeLimits limits;
    limits.maxAttachmentBytes = maxAttachmentBytes;
    limits.maxXmlNodes = std::max<std::size_t>(1024, maxBodyBytes / 16);
    return limits;
}

namespace {

std::variant<DecodedBody, DecodeError> decodeJson(std::string_view body) {
    if (nestingDepth(body) > kMaxJsonDepth)
        return DecodeError{400, "malformed_json",
                           "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels"};
    // nlohmann's lexer takes a NUL byte for the end of its input, so "[1]\0junk" would
    // decode as [1] with the rest dropped. A raw NUL is never JSON (inside a string it
    // must be written \u0000): the body is refused instead of stored cut short.
    if (body.find('\0') != std::string_view::npos)
        return DecodeError{400, "malformed_json", "a NUL byte is not JSON"};
    try {
        return DecodedBody{json::parse(body), {}};
    } catch (const json::exception& e) {
        // parse_error, and out_of_range for a number no double holds ({"n":1e999}).
        return DecodeError{400, "malformed_json", e.what()};
    }
}

}  // namespace

bool isValidJsonBody(std::string_view contentType, std::string_view body,
                     std::size_t readableAfterEnd) {
    return isJsonType(mediaType(contentType)) && isValidJson(body, kMaxJsonDepth, readableAfterEnd);
}

namespace {

std::variant<DecodedBody, DecodeError> decodeXml(std::string_view body, const DecodeLimits& limits) {
    auto result = xmlToJson(body, XmlLimits{limits.maxXmlDepth, limits.maxXmlNodes});
    if (auto* document = std::get_if<json>(&result)) return DecodedBody{std::move(*document), {}};
    const XmlError& error = std::get<XmlError>(result);
    std::string message = error.message;
    if (error.line > 0)
        message = "line " + std::to_string(error.line) + ", column " + std::to_string(error.column) +
                  ": " + message;
    auto refuse = [&](int status, const char* code) {
        return DecodeError{status, code, std::move(message), error.line, error.column};
    };
    switch (error.kind) {
        case XmlError::Kind::DtdRefused: return refuse(400, "xml_dtd_refused");
        case XmlError::Kind::TooDeep: return refuse(400, "xml_too_deep");
        case XmlError::Kind::TooLarge: return refuse(413, "xml_too_large");
        case XmlError::Kind::Malformed: break;
    }
    return refuse(400, "malformed_xml");
}

// An attachment about to be stored: the bytes point into the request body.
struct PendingAttachment {
    std::string name;
    std::string contentType;
    std::string_view bytes;
};

// Checks the total against the limit, then stores every attachment; on any failure removes
// whatever was stored for the execution.
std::variant<DecodedBody, DecodeError> storeAll(json body, const std::vector<PendingAttachment>& pending,
                                                std::string_view executionId,
                                                attachments::AttachmentStore& store,
                                                const DecodeLimits& limits) {
    std::uint64_t total = 0;
    for (const auto& attachment : pending) total += attachment.bytes.size();
    if (total > limits.maxAttachmentBytes)
        return DecodeError{413, "attachment_too_large",
                           "attachments total " + std::to_string(total) + " bytes; this flow accepts at most " +
                               std::to_string(limits.maxAttachmentBytes)};
    if (!pending.empty() && !attachments::AttachmentStore::isValidExecutionId(executionId))
        throw std::invalid_argument("decodeBody: invalid execution id");

    DecodedBody decoded{std::move(body), {}};
    decoded.attachments.reserve(pending.size());
    try {
        for (const auto& attachment : pending)
            decoded.attachments.push_back(
                store.put(executionId, attachment.name, attachment.contentType, attachment.bytes));
    } catch (const std::exception& e) {
        try {
            store.removeExecution(executionId);
        } catch (const std::exception&) {
            // Nothing better to do: the files are unreferenced and the message is not queued.
        }
        DecodeError error{503, "attachment_store_unavailable",
                          "the attachment could not be stored; nothing was kept, try again later"};
        error.detail = e.what();
        return error;
    }
    return decoded;
}

}  // namespace

namespace {

std::variant<DecodedBody, DecodeError> decode(std::string_view contentType,
                                              std::string_view contentDisposition,
                                              std::string_view body, std::string_view executionId,
                                              attachments::AttachmentStore* store,
                                              const DecodeLimits& limits) {
    const std::string type = mediaType(contentType);
    if (type.empty() && body.empty()) return DecodedBody{};

    if (isJsonType(type)) return decodeJson(body);
    if (type == "application/x-www-form-urlencoded") {
        json form;
        if (!parseFormEncoded(body, form))
            return DecodeError{400, "malformed_form", "invalid percent-escape or non-UTF-8 text in form body"};
        return DecodedBody{std::move(form), {}};
    }
    if (isXmlType(type)) return decodeXml(body, limits);

    std::vector<PendingAttachment> pending;
    json fields = json::object();
    if (type == "multipart/form-data") {
        auto parts = decodeMultipart(contentType, body);
        if (auto* error = std::get_if<MultipartError>(&parts))
            return DecodeError{400, "malformed_multipart", std::move(error->message)};
        auto& multipart = std::get<MultipartBody>(parts);
        fields = std::move(multipart.fields);
        for (auto& file : multipart.files) {
            std::string name = file.fileName.empty() ? file.field : std::move(file.fileName);
            pending.push_back({std::move(name), std::move(file.contentType), file.bytes});
        }
        if (!pending.empty() && !store)
            return DecodeError{415, "unsupported_media_type",
                               "file parts are not accepted here: this endpoint takes no attachments"};
    } else {
        if (!store)
            return DecodeError{415, "unsupported_media_type",
                               "content type '" + (type.empty() ? std::string("(none)") : printable(type)) +
                                   "' would be stored as an attachment, and this endpoint takes no "
                                   "attachments; send JSON, XML or a form"};
        std::string name = parseContentDisposition(contentDisposition).fileName.value_or("");
        std::string_view attachmentType = contentType;
        while (!attachmentType.empty() && std::isspace(static_cast<unsigned char>(attachmentType.front())))
            attachmentType.remove_prefix(1);
        while (!attachmentType.empty() && std::isspace(static_cast<unsigned char>(attachmentType.back())))
            attachmentType.remove_suffix(1);
        pending.push_back({std::move(name), std::string(attachmentType), body});
    }
    if (pending.empty()) return DecodedBody{std::move(fields), {}};
    return storeAll(std::move(fields), pending, executionId, *store, limits);
}

}  // namespace

bool mayStoreAttachments(std::string_view contentType, std::string_view body) {
    const std::string type = mediaType(contentType);
    if (type.empty() && body.empty()) return false;
    return !isJsonType(type) && type != "application/x-www-form-urlencoded" && !isXmlType(type);
}

std::variant<DecodedBody, DecodeError> decodeBody(std::string_view contentType,
                                                  std::string_view contentDisposition,
                                                  std::string_view body,
                                                  std::string_view executionId,
                                                  attachments::AttachmentStore* store,
                                                  const DecodeLimits& limits) {
    auto result = decode(contentType, contentDisposition, body, executionId, store, limits);
    // Parser messages may quote the offending bytes (nlohmann's "last read: '…'"), which
    // would make the JSON answer itself unserialisable.
    if (auto* error = std::get_if<DecodeError>(&result); error && !isValidUtf8(error->message))
        for (char& c : error->message)
            if (static_cast<unsigned char>(c) >= 0x80) c = '?';
    return result;
}

}  // namespace flowgate::http
