#include "webhooks/stored_message.hpp"

#include <simdjson.h>

namespace flowgate::http {

namespace {

using nlohmann::json;

void appendDump(std::string& out, const json& value) {
    out += value.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

void appendJsonString(std::string& out, std::string_view text) {
    // nlohmann's replacement of invalid sequences has rules of its own (how many U+FFFD a
    // broken sequence becomes): such rare strings go through nlohmann itself.
    if (!simdjson::validate_utf8(text.data(), text.size())) return appendDump(out, json(text));
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    std::size_t copied = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out.append(text, copied, i - copied);
        copied = i + 1;
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:  // other control characters, as nlohmann writes them: \u001f
                out += "\\u00";
                out += hex[c >> 4];
                out += hex[c & 0xF];
        }
    }
    out.append(text, copied, std::string_view::npos);
    out += '"';
}

// Keys in the order nlohmann's objects (std::map) serialise them: ascending bytes.
std::string storedMessageText(const WebhookMessage& message) {
    std::string out;
    out.reserve(256 + (message.rawBody ? message.rawBody->size() : 0) +
                message.headers.size() * 48);
    out += "{\"attachments\":";
    if (message.attachments && !message.attachments->empty())
        appendDump(out, json(*message.attachments));
    else
        out += "[]";
    out += ",\"body\":";
    if (message.rawBody)
        out += *message.rawBody;
    else if (message.body)
        appendDump(out, *message.body);
    else
        out += "{}";
    out += ",\"headers\":{";
    for (std::size_t i = 0; i < message.headers.size(); ++i) {
        if (i > 0) out += ',';
        appendJsonString(out, message.headers[i].first);
        out += ':';
        appendJsonString(out, message.headers[i].second);
    }
    out += "},\"id\":";
    appendJsonString(out, message.id);
    out += ",\"meta\":{\"flow\":";
    appendJsonString(out, message.flow);
    out += ",\"method\":";
    appendJsonString(out, message.method);
    out += ",\"path\":";
    appendJsonString(out, message.path);
    out += ",\"query\":";
    if (message.query)
        appendDump(out, *message.query);
    else
        out += "{}";
    out += ",\"receivedAt\":";
    appendJsonString(out, message.receivedAt);
    out += ",\"requestId\":";
    appendJsonString(out, message.id);
    if (!message.resumeUrl.empty()) {
        out += ",\"resumeUrl\":";
        appendJsonString(out, message.resumeUrl);
    }
    out += "}}";
    return out;
}

}  // namespace flowgate::http
