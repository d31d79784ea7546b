// Answering with JSON, the way every endpoint of the Webhooks Service does.
#pragma once

#include <string>

#include <Poco/Net/HTTPServerResponse.h>
#include <nlohmann/json.hpp>

namespace flowgate::http {

// Sends `body` with `status` and its standard reason phrase (Poco would otherwise keep
// "OK" for every status set without a reason).
void sendJson(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status,
              const nlohmann::json& body);

// The error shape callers get: {"error": code, "message": reason}.
void sendError(Poco::Net::HTTPServerResponse& response, Poco::Net::HTTPResponse::HTTPStatus status,
               const std::string& code, const std::string& message);

}  // namespace flowgate::http
