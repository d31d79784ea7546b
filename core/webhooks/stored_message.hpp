// The text of a webhook's message as the queue stores it, written straight from the
// request's parts: the same bytes as nlohmann::json(flowgate::Message).dump(-1, ' ', false,
// error_handler_t::replace) of the message those parts make, without building that tree
// (issue 9: the JSON DOM and its allocations were a large share of each request's CPU).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "flowgate/message.hpp"

namespace flowgate::http {

// Borrowed views of what the message is made of; they must outlive the call.
struct WebhookMessage {
    std::string_view id;
    // The body: `rawBody` when set (one valid JSON text without a BOM, isValidJsonBody and
    // withoutUtf8Bom: copied as sent), else `body`.
    std::optional<std::string_view> rawBody;
    const nlohmann::json* body = nullptr;
    const std::vector<Attachment>* attachments = nullptr;  // none if null
    // Names lower-cased, each once, in ascending byte order (an auth::HeaderMap's order,
    // which is also the order nlohmann's objects serialise in).
    std::vector<std::pair<std::string_view, std::string_view>> headers;
    // meta (its requestId is `id`)
    std::string_view flow;
    std::string_view receivedAt;
    std::string_view method;
    std::string_view path;
    const nlohmann::json* query = nullptr;  // {} if null
    std::string_view resumeUrl;             // only resumable flows' messages have one
};

// The message as JSON text. What JSON cannot hold (bytes of header values or paths that
// are not UTF-8) is replaced by U+FFFD exactly as nlohmann's error_handler_t::replace does.
std::string storedMessageText(const WebhookMessage& message);

// Appends `text` as a JSON string, escaped exactly as nlohmann's dump (ensure_ascii off,
// invalid UTF-8 replaced).
void appendJsonString(std::string& out, std::string_view text);

}  // namespace flowgate::http
