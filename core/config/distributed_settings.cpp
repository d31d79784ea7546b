#include "config/distributed_settings.hpp"

#include <vector>

#include "config/secret_ref.hpp"

namespace flowgate::config {

using nlohmann::json;

namespace {

// A URL or a secret reference to one.
json urlSchema() {
    return json::parse(R"({
      "oneOf": [
        {"type": "string", "minLength": 1},
        {"type": "object", "additionalProperties": false, "required": ["env"],
         "properties": {"env": {"type": "string", "minLength": 1}}},
        {"type": "object", "additionalProperties": false, "required": ["file"],
         "properties": {"file": {"type": "string", "minLength": 1}}}
      ]
    })");
}

// The URL at `key` of `section`, its secret reference resolved; "" after an error.
std::string secretUrl(const json& section, const std::filesystem::path& configDir,
                      const std::string& file, const std::string& pointer,
                      const std::vector<std::string>& schemes, ConfigErrors& errors) {
    if (!section.contains("url")) {
        errors.push_back({file, pointer, "a url is required"});
        return "";
    }
    json url = section.at("url");
    const std::size_t before = errors.size();
    resolveSecretRefs(url, configDir, file, pointer + "/url", errors);
    if (errors.size() != before) return "";
    const std::string text = url.get<std::string>();
    std::string expected;
    for (const auto& scheme : schemes) {
        if (text.rfind(scheme, 0) == 0) return text;
        expected += (expected.empty() ? "" : " or ") + scheme;
    }
    // Never the URL itself: it may hold a password.
    errors.push_back({file, pointer + "/url", "must start with " + expected});
    return "";
}

}  // namespace

json distributedQueueSchemaProperties() {
    return json{{"type", {{"enum", {"sqlite", "rabbitmq"}}}},
                {"url", urlSchema()},
                {"prefix", {{"type", "string"}, {"pattern", "^[A-Za-z0-9_.-]{1,64}$"}}},
                {"prefetch", {{"type", "integer"}, {"minimum", 1}, {"maximum", 65535}}},
                {"confirmTimeoutMs", {{"type", "integer"}, {"minimum", 100}, {"maximum", 600000}}},
                {"deliveryLimit", {{"type", "integer"}, {"minimum", 1}}}};
}

json distributedStateSchema() {
    json schema = {{"type", "object"},
                   {"additionalProperties", false},
                   {"required", {"type"}},
                   {"properties",
                    {{"type", {{"enum", {"postgres"}}}},
                     {"url", urlSchema()},
                     {"connections", {{"type", "integer"}, {"minimum", 1}, {"maximum", 256}}}}}};
    return schema;
}

std::optional<DistributedSettings> distributedSettingsFrom(const json& document,
                                                           const std::filesystem::path& configDir,
                                                           const std::string& file,
                                                           ConfigErrors& errors) {
    const json queue = document.value("queue", json::object());
    const bool rabbit = queue.value("type", "sqlite") == "rabbitmq";
    const bool state = document.contains("state");
    if (!rabbit) {
        if (state)
            errors.push_back(
                {file, "/state",
                 "shared state is only used with \"queue\": {\"type\": \"rabbitmq\"}"});
        for (const char* key : {"url", "prefix", "prefetch", "confirmTimeoutMs", "deliveryLimit"})
            if (queue.contains(key))
                errors.push_back(
                    {file, std::string("/queue/") + key, "only used with \"type\": \"rabbitmq\""});
        return std::nullopt;
    }
    if (!state) {
        errors.push_back({file, "/state",
                          "the rabbitmq queue needs shared state: \"state\": {\"type\": "
                          "\"postgres\", \"url\": …}"});
        return std::nullopt;
    }
    const std::size_t before = errors.size();
    DistributedSettings settings;
    settings.brokerUrl = secretUrl(queue, configDir, file, "/queue", {"amqp://"}, errors);
    const json& stateSection = document.at("state");
    settings.stateUrl = secretUrl(stateSection, configDir, file, "/state",
                                  {"postgresql://", "postgres://"}, errors);
    settings.prefix = queue.value("prefix", settings.prefix);
    settings.prefetch = queue.value("prefetch", settings.prefetch);
    settings.confirmTimeout =
        std::chrono::milliseconds(queue.value("confirmTimeoutMs", settings.confirmTimeout.count()));
    settings.deliveryLimit = queue.value("deliveryLimit", settings.deliveryLimit);
    settings.stateConnections = stateSection.value("connections", settings.stateConnections);
    if (errors.size() != before) return std::nullopt;
    return settings;
}

}  // namespace flowgate::config
