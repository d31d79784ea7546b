#include "http/json_response.hpp"

namespace flowgate::http {

using Poco::Net::HTTPResponse;

void sendJson(Poco::Net::HTTPServerResponse& response, HTTPResponse::HTTPStatus status,
              const nlohmann::json& body) {
    const std::string text = body.dump();
    response.setStatusAndReason(status);
    response.setContentType("application/json");
    response.setContentLength(static_cast<std::streamsize>(text.size()));
    response.sendBuffer(text.data(), text.size());
}

void sendError(Poco::Net::HTTPServerResponse& response, HTTPResponse::HTTPStatus status,
               const std::string& code, const std::string& message) {
    sendJson(response, status, {{"error", code}, {"message", message}});
}

}  // namespace flowgate::http
