#include "request_config.hpp"

#include <stdexcept>

#include <Poco/String.h>

#include "flowgate/outbound_http/outbound_url.hpp"
#include "flowgate/outbound_http/tls_context.hpp"

namespace flowgate::plugins::http {

using nlohmann::json;

const json& requestConfigSchema() {
    static const json schema = json::parse(R"({
      "type": "object",
      "required": ["url"],
      "additionalProperties": false,
      "properties": {
        "method": {"enum": ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
                   "default": "POST", "description": "The HTTP method."},
        "url": {"type": "string", "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://",
                "description": "The fixed http:// or https:// URL to call."},
        "headers": {"type": "object", "default": {},
                    "propertyNames": {"pattern": "^[-!#$%&'*+.^_`|~0-9A-Za-z]+$"},
                    "additionalProperties": {"type": "string"},
                    "description": "Request headers (not Host, Content-Length, Transfer-Encoding, Connection, TE, Upgrade)."},
        "body": {"description": "\"message\": the message body as JSON (default for POST, PUT, PATCH); \"none\" (default otherwise); {\"value\": <JSON>}: that fixed JSON.",
                 "oneOf": [
                   {"enum": ["message", "none"]},
                   {"type": "object", "required": ["value"], "additionalProperties": false,
                    "properties": {"value": {}}}
                 ]},
        "timeoutMs": {"type": "integer", "minimum": 1, "maximum": 600000, "default": 30000,
                      "description": "Limit for each read and for the whole call, redirects included."},
        "followRedirects": {"type": "boolean", "default": true,
                            "description": "Follow up to 5 redirects; false: a 3xx is the response."},
        "maxResponseBytes": {"type": "integer", "minimum": 1, "maximum": 104857600,
                             "default": 10485760},
        "failOn4xx": {"type": "boolean", "default": true,
                      "description": "A 4xx answer other than 408 and 429 dead-letters the item at once (the same request would be refused again); false: it is the output."},
        "output": {"enum": ["response", "merge"], "default": "response",
                   "description": "response: the body becomes {status, headers, body}; merge: that object is added to the (object) message body as \"response\"."},
        "tls": {"type": "object", "additionalProperties": false, "default": {},
                "properties": {
                  "verify": {"type": "boolean", "default": true,
                             "description": "Check the server's certificate chain and name."},
                  "caFile": {"type": "string", "minLength": 1,
                             "description": "PEM file of extra trusted CAs (absolute, or relative to the engine's working directory)."}
                }}
      }
    })");
    return schema;
}

namespace {

bool carriesBody(const std::string& method) {
    return method != "GET" && method != "HEAD";
}

std::invalid_argument invalid(const std::string& field, const std::string& why) {
    return std::invalid_argument(field + ": " + why);
}

}  // namespace

RequestConfig parseRequestConfig(const json& config) {
    RequestConfig parsed;
    parsed.method = config.at("method").get<std::string>();
    parsed.url = config.at("url").get<std::string>();
    try {
        net::parseOutboundUrl(parsed.url);
    } catch (const std::exception& e) {
        throw invalid("url", e.what());
    }

    for (const auto& [name, value] : config.at("headers").items()) {
        const std::string lower = Poco::toLower(name);
        if (lower == "host" || lower == "content-length" || lower == "transfer-encoding" ||
            lower == "connection" || lower == "te" || lower == "upgrade")
            throw invalid("headers", "'" + name + "' is set by the HTTP client itself");
        const std::string text = value.get<std::string>();
        if (text.find_first_of(std::string("\r\n\0", 3)) != std::string::npos)
            throw invalid("headers", "the value of '" + name + "' holds a line break");
        parsed.headers.emplace_back(name, text);
    }

    const bool bodyMethod =
        parsed.method == "POST" || parsed.method == "PUT" || parsed.method == "PATCH";
    parsed.body = bodyMethod ? BodySource::message : BodySource::none;
    if (config.contains("body")) {
        const json& body = config.at("body");
        if (body.is_object()) {
            parsed.body = BodySource::fixed;
            parsed.fixedBody = body.at("value");
        } else {
            parsed.body = body == "message" ? BodySource::message : BodySource::none;
        }
        if (parsed.body != BodySource::none && !carriesBody(parsed.method))
            throw invalid("body", "a " + parsed.method + " request carries no body");
    }

    parsed.timeout = std::chrono::milliseconds(config.at("timeoutMs").get<std::int64_t>());
    parsed.followRedirects = config.at("followRedirects");
    parsed.maxResponseBytes = config.at("maxResponseBytes");
    parsed.failOn4xx = config.at("failOn4xx");
    parsed.output = config.at("output") == "merge" ? OutputMode::merge : OutputMode::response;
    const json& tls = config.at("tls");
    parsed.verifyTls = tls.at("verify");
    parsed.caFile = tls.value("caFile", "");  // optional: no CA file of its own
    if (!parsed.caFile.empty()) {
        try {
            net::clientContext(parsed.verifyTls, parsed.caFile);  // loads it once, now
        } catch (const std::exception& e) {
            throw invalid("tls.caFile", e.what());
        }
    }
    return parsed;
}

}  // namespace flowgate::plugins::http
