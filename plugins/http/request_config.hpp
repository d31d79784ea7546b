// The config of the http component's request functions, checked once per step.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace flowgate::plugins::http {

enum class BodySource { message, none, fixed };
enum class OutputMode { response, merge };

struct RequestConfig {
    std::string method = "POST";
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    BodySource body = BodySource::message;
    nlohmann::json fixedBody;  // with BodySource::fixed
    std::chrono::milliseconds timeout{30000};
    bool followRedirects = true;
    std::size_t maxResponseBytes = 10 * 1024 * 1024;
    bool failOn4xx = true;
    OutputMode output = OutputMode::response;
    bool verifyTls = true;
    std::string caFile;
};

// The JSON Schema both request functions declare in the manifest.
const nlohmann::json& requestConfigSchema();

// `config` has passed requestConfigSchema(). Throws std::invalid_argument, naming the
// field, for what the schema cannot judge: a URL that does not parse, a body on GET or
// HEAD, a header the client sets itself, a caFile that cannot be loaded.
RequestConfig parseRequestConfig(const nlohmann::json& config);

}  // namespace flowgate::plugins::http
