#include "webhooks/cors.hpp"

#include <algorithm>

#include "http/json_response.hpp"

namespace flowgate::http {

std::string allowedOrigin(const Request& request, const std::vector<std::string>& allowed) {
    const std::string origin = request.header("origin");
    if (origin.empty() || allowed.empty()) return {};
    if (std::find(allowed.begin(), allowed.end(), "*") != allowed.end()) return origin;
    return std::find(allowed.begin(), allowed.end(), origin) != allowed.end() ? origin : "";
}

void addCorsHeaders(Response& response, const std::string& origin) {
    if (origin.empty()) return;
    response.set("Access-Control-Allow-Origin", origin);
    response.set("Vary", "Origin");
}

void answerPreflight(const Request& request, Response& response, const std::string& origin,
                     const std::vector<std::string>& methods) {
    if (origin.empty())
        return sendError(response, 403, "cors_origin_refused",
                         "this origin may not call the webhook");
    std::string allow;
    for (const auto& m : methods) allow += (allow.empty() ? "" : ", ") + m;
    addCorsHeaders(response, origin);
    response.set("Access-Control-Allow-Methods", allow);
    const std::string requested = request.header("access-control-request-headers");
    if (!requested.empty()) response.set("Access-Control-Allow-Headers", requested);
    response.set("Access-Control-Max-Age", "600");
    response.status = 204;
    response.body.clear();
}

}  // namespace flowgate::http
