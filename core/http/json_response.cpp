#include "http/json_response.hpp"

namespace flowgate::http {

void sendJson(Response& response, int status, const nlohmann::json& body) {
    response.status = status;
    response.set("Content-Type", "application/json");
    response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void sendError(Response& response, int status, const std::string& code,
               const std::string& message) {
    sendJson(response, status, {{"error", code}, {"message", message}});
}

std::string errorBody(const std::string& code, const std::string& message) {
    return nlohmann::json{{"error", code}, {"message", message}}.dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace flowgate::http
