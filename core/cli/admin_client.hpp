// The CLI's side of the admin API: one blocking JSON call at a time over HTTP to the
// engine's admin listener, with the bearer token.
#pragma once

#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace flowgate::cli {

// A call that failed: what() is one line for the user (never the token).
class AdminCallError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct AdminReply {
    int status = 0;
    nlohmann::json body;  // null for an empty body (204)
};

class AdminClient {
public:
    // `baseUrl` "http://host:port".
    AdminClient(std::string baseUrl, std::string token);

    // Sends the call; a 2xx answer is returned, anything else (and no answer at all)
    // throws AdminCallError naming the URL and, for API errors, the API's message.
    AdminReply call(const std::string& method, const std::string& pathAndQuery,
                    const nlohmann::json& body = nullptr) const;

    const std::string& baseUrl() const { return baseUrl_; }

private:
    std::string baseUrl_;
    std::string token_;
};

// Percent-encodes a query parameter value or a path segment.
std::string urlEncode(const std::string& text);

}  // namespace flowgate::cli
