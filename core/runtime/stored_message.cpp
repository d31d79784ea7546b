#include "runtime/stored_message.hpp"

#include <utility>

#include "runtime/json_parse.hpp"

namespace flowgate::runtime {

namespace {

// Moves `key`'s value out of `document`, or an empty object when there is none (as
// flowgate::from_json defaults it).
nlohmann::json take(nlohmann::json& document, const char* key) {
    const auto it = document.find(key);
    if (it == document.end()) return nlohmann::json::object();
    return std::move(*it);
}

}  // namespace

Message readStoredMessage(std::string_view text) {
    nlohmann::json document = parseJson(text);
    // Anything but an object fails in from_json, with its error.
    if (!document.is_object()) return document.get<Message>();
    Message message;
    // In from_json's order, so that the first bad field names the same error.
    message.id = document.value("id", "");
    const auto attachments = document.find("attachments");
    if (attachments != document.end())
        message.attachments = attachments->get<std::vector<Attachment>>();
    message.body = take(document, "body");
    message.headers = take(document, "headers");
    message.meta = take(document, "meta");
    return message;
}

}  // namespace flowgate::runtime
