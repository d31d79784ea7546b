// The `send` function's config: its schema (the manifest's single description of it) and
// the checks the schema cannot make, done once when the step is created.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace flowgate::plugins::webhook {

struct SendConfig {
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;  // extra request headers
    std::chrono::milliseconds timeout{30000};
};

nlohmann::json sendConfigSchema();

// `config` has passed sendConfigSchema(). Throws std::invalid_argument for a URL that is
// not absolute http(s), or a header that the step sets itself (the signature headers,
// Content-Type, Content-Length, Host, Transfer-Encoding).
SendConfig parseSendConfig(const nlohmann::json& config);

}  // namespace flowgate::plugins::webhook
