// Answering with JSON, the way every endpoint of the Webhooks Service does.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "http/http_message.hpp"

namespace flowgate::http {

// Sets `status` and `body` as application/json. Strings that are not UTF-8 (bytes from a
// caller) are replaced, never thrown over.
void sendJson(Response& response, int status, const nlohmann::json& body);

// The error shape callers get: {"error": code, "message": reason}.
void sendError(Response& response, int status, const std::string& code, const std::string& message);

// The same error as a whole response body, for the connection layer.
std::string errorBody(const std::string& code, const std::string& message);

}  // namespace flowgate::http
