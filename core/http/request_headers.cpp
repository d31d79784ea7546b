#include "http/request_headers.hpp"

namespace flowgate::http {

auth::HeaderMap lowerCaseHeaders(const Request& request) {
    auth::HeaderMap headers;
    for (const auto& [name, value] : request.headers) {
        auto [it, inserted] = headers.emplace(name, value);
        if (!inserted) it->second += ", " + value;
    }
    return headers;
}

bool isCredentialHeader(const std::string& lowerName) {
    return lowerName == "authorization" || lowerName == "proxy-authorization" ||
           lowerName == "cookie";
}

}  // namespace flowgate::http
