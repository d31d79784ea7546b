#include "send_config.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include <Poco/Exception.h>
#include <Poco/URI.h>

namespace flowgate::plugins::webhook {

namespace {

// Set by the step for every delivery; letting config override them would break the
// signature or the framing.
constexpr std::array<std::string_view, 7> kReservedHeaders{
    "webhook-id", "webhook-timestamp", "webhook-signature", "content-type", "content-length",
    "host",       "transfer-encoding"};

std::string lowerCase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

void checkUrl(const std::string& url) {
    try {
        const Poco::URI uri(url);
        if ((uri.getScheme() == "http" || uri.getScheme() == "https") && !uri.getHost().empty())
            return;
    } catch (const Poco::Exception&) {
    }
    // Not repeated: a webhook URL often carries its token.
    throw std::invalid_argument("url is not an absolute http or https URL");
}

}  // namespace

nlohmann::json sendConfigSchema() {
    using json = nlohmann::json;
    return {{"type", "object"},
            {"properties",
             {{"url",
               {{"type", "string"},
                {"minLength", 1},
                {"description", "Where to POST the message body (http or https)."}}},
              {"headers",
               {{"type", "object"},
                {"propertyNames", {{"pattern", "^[-!#$%&'*+.^_`|~0-9A-Za-z]+$"}}},
                {"additionalProperties", {{"type", "string"}}},
                {"default", json::object()},
                {"description",
                 "Extra request headers. The webhook-* signature headers and Content-Type are "
                 "set by the step."}}},
              {"timeoutMs",
               {{"type", "integer"},
                {"minimum", 1},
                {"maximum", 300000},
                {"default", 30000},
                {"description",
                 "Limit for the whole delivery; a delivery that runs out fails the attempt."}}}}},
            {"required", json::array({"url"})},
            {"additionalProperties", false}};
}

SendConfig parseSendConfig(const nlohmann::json& config) {
    SendConfig parsed;
    parsed.url = config.at("url").get<std::string>();
    checkUrl(parsed.url);
    {
        for (const auto& [name, value] : config.at("headers").items()) {
            const std::string lower = lowerCase(name);
            if (std::find(kReservedHeaders.begin(), kReservedHeaders.end(), lower) !=
                kReservedHeaders.end())
                throw std::invalid_argument("header '" + name + "' is set by the step itself");
            parsed.headers.emplace_back(name, value.get<std::string>());
        }
    }
    parsed.timeout = std::chrono::milliseconds(config.at("timeoutMs").get<std::int64_t>());
    return parsed;
}

}  // namespace flowgate::plugins::webhook
