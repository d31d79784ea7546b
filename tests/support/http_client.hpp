// A small blocking HTTP client over loopback for end-to-end tests.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace flowgate::test {

struct HttpResult {
    int status = 0;
    std::string body;
    std::map<std::string, std::string> headers;  // names lower-cased

    nlohmann::json json() const { return nlohmann::json::parse(body); }
};

struct HttpCall {
    std::string method = "POST";
    std::string path = "/";
    std::string body;
    std::string contentType;  // omitted when empty
    std::map<std::string, std::string> headers;
    bool chunked = false;
};

// One request on a new connection to 127.0.0.1:port. Throws on connection errors.
HttpResult request(int port, const HttpCall& call);

inline HttpResult postJson(int port, const std::string& path, const std::string& body) {
    return request(port, {"POST", path, body, "application/json", {}, false});
}

}  // namespace flowgate::test
