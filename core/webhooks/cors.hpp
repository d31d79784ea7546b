// CORS for webhook URLs that browsers call: a flow lists the origins it allows.
#pragma once

#include <string>
#include <vector>

#include "http/http_message.hpp"

namespace flowgate::http {

// The value for Access-Control-Allow-Origin, or "" if the request has no Origin or the
// origin is not allowed ("*" in `allowed` allows any).
std::string allowedOrigin(const Request& request, const std::vector<std::string>& allowed);

// Adds the CORS headers of an actual (non-preflight) response.
void addCorsHeaders(Response& response, const std::string& origin);

// Answers an OPTIONS preflight: 204 with the allowed methods and requested headers when
// the origin is allowed, otherwise 403.
void answerPreflight(const Request& request, Response& response, const std::string& origin,
                     const std::vector<std::string>& methods);

}  // namespace flowgate::http
