#include "config/engine_config.hpp"

#include <algorithm>
#include <random>

#include <Poco/Net/IPAddress.h>

#include "config/distributed_settings.hpp"
#include "config/json_file.hpp"
#include "config/config_schema.hpp"

namespace flowgate::config {

namespace fs = std::filesystem;
using nlohmann::json;

std::chrono::milliseconds RetryPolicy::delayBeforeRetry(int failedAttempts) const {
    const int doublings = std::clamp(failedAttempts - 1, 0, 30);
    const double base = std::min<double>(static_cast<double>(initialDelay.count()) * (1LL << doublings),
                                         static_cast<double>(maxDelay.count()));
    // Jitter spreads the retries of items that failed together (an upstream outage).
    thread_local std::minstd_rand random{std::random_device{}()};
    std::uniform_real_distribution<double> jitter(0.8, 1.0);
    return std::chrono::milliseconds(static_cast<long long>(base * jitter(random)));
}

const json& retryPolicySchema() {
    static const json schema = json::parse(R"({
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "maxAttempts":    {"type": "integer", "minimum": 1, "maximum": 1000},
        "initialDelayMs": {"type": "integer", "minimum": 0},
        "maxDelayMs":     {"type": "integer", "minimum": 0}
      }
    })");
    return schema;
}

RetryPolicy retryPolicyFrom(const json& retry, RetryPolicy base) {
    if (!retry.is_object()) return base;
    base.maxAttempts = retry.value("maxAttempts", base.maxAttempts);
    base.initialDelay =
        std::chrono::milliseconds(retry.value("initialDelayMs", base.initialDelay.count()));
    base.maxDelay = std::chrono::milliseconds(retry.value("maxDelayMs", base.maxDelay.count()));
    return base;
}

namespace {

const ConfigSchema& engineSchema() {
    static const ConfigSchema schema = [] {
        json s = json::parse(R"({
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "dataDir":        {"type": "string", "minLength": 1},
            "flowsDir":       {"type": "string", "minLength": 1},
            "credentialsDir": {"type": "string", "minLength": 1},
            "pluginPath":     {"type": "array", "items": {"type": "string", "minLength": 1}},
            "logLevel":       {"enum": ["trace", "debug", "information", "notice", "warning", "error"]},
            "logFormat":      {"enum": ["text", "json"]},
            "maxQueuedItems": {"type": "integer", "minimum": 1},
            "queue": {
              "type": "object", "additionalProperties": false,
              "properties": {
                "maxItems":      {"type": "integer", "minimum": 1},
                "maxBytes":      {"type": "integer", "minimum": 0},
                "walLimitBytes": {"type": "integer", "minimum": 1048576}
              }
            },
            "http": {
              "type": "object", "additionalProperties": false,
              "properties": {
                "host":                 {"type": "string", "minLength": 1},
                "port":                 {"type": "integer", "minimum": 0, "maximum": 65535},
                "maxBodyBytes":         {"type": "integer", "minimum": 1},
                "maxHeaderBytes":       {"type": "integer", "minimum": 1024, "maximum": 1048576},
                "maxHeaderFields":      {"type": "integer", "minimum": 8, "maximum": 10000},
                "threads":              {"type": "integer", "minimum": 2, "maximum": 4096},
                "maxQueuedRequests":    {"type": "integer", "minimum": 1},
                "maxConnections":       {"type": "integer", "minimum": 1},
                "maxConnectionsPerAddress": {"type": "integer", "minimum": 1},
                "headerTimeoutMs":      {"type": "integer", "minimum": 100},
                "keepAliveTimeoutMs":   {"type": "integer", "minimum": 1},
                "requestTimeoutMs":     {"type": "integer", "minimum": 100},
                "accessLog":            {"type": "boolean"},
                "tls": {
                  "type": "object", "additionalProperties": false,
                  "required": ["certFile", "keyFile"],
                  "properties": {
                    "certFile":   {"type": "string", "minLength": 1},
                    "keyFile":    {"type": "string", "minLength": 1},
                    "minVersion": {"enum": ["1.2", "1.3"]}
                  }
                }
              }
            },
            "publicBaseUrl":  {"type": "string", "pattern": "^https?://"},
            "network": {
              "type": "object", "additionalProperties": false,
              "properties": {
                "allowPrivateAddresses": {"type": "boolean"},
                "allowAddresses": {"type": "array", "items": {"type": "string"}}
              }
            },
            "reload": {
              "type": "object", "additionalProperties": false,
              "properties": {"intervalMs": {"type": "integer", "minimum": 0, "maximum": 3600000}}
            },
            "workers": {
              "type": "object", "additionalProperties": false,
              "properties": {
                "processes":     {"type": "integer", "minimum": 1, "maximum": 256},
                "threads":       {"type": "integer", "minimum": 1, "maximum": 256},
                "batch":         {"type": "integer", "minimum": 1, "maximum": 1000},
                "leaseMs":       {"type": "integer", "minimum": 1000},
                "stepTimeoutMs": {"type": "integer", "minimum": 1, "maximum": 86400000},
                "chainPureSteps": {"type": "boolean"},
                "nice":          {"type": "integer", "minimum": 0, "maximum": 19}
              }
            },
            "disk": {
              "type": "object", "additionalProperties": false,
              "properties": {
                "minFreeBytes":    {"type": "integer", "minimum": 0},
                "checkIntervalMs": {"type": "integer", "minimum": 10, "maximum": 60000}
              }
            },
            "stopGraceMs": {"type": "integer", "minimum": 0, "maximum": 3600000},
            "admin": {
              "type": "object", "additionalProperties": false,
              "properties": {
                "host":  {"type": "string", "minLength": 1},
                "port":  {"type": "integer", "minimum": 0, "maximum": 65535},
                "token": {"type": "object", "minProperties": 1, "maxProperties": 1,
                          "additionalProperties": false,
                          "properties": {"env": {"type": "string", "minLength": 1},
                                         "file": {"type": "string", "minLength": 1}}}
              }
            },
            "history": {
              "type": "object", "additionalProperties": false,
              "properties": {
                "maxMessageBytes": {"type": "integer", "minimum": 0},
                "maxAgeDays":      {"type": "integer", "minimum": 1, "maximum": 3650},
                "maxExecutions":   {"type": "integer", "minimum": 1}
              }
            }
          }
        })");
        s["properties"]["retry"] = retryPolicySchema();
        // The distributed backend's keys live with their reader (distributed_settings).
        s["properties"]["queue"]["properties"].update(distributedQueueSchemaProperties());
        s["properties"]["state"] = distributedStateSchema();
        return ConfigSchema::compile(s);
    }();
    return schema;
}

// "10.0.0.1", "10.0.0.0/8", "fd00::/8": what network.allowAddresses may hold.
bool isAddressOrRange(const std::string& text) {
    const std::size_t slash = text.find('/');
    Poco::Net::IPAddress address;
    if (!Poco::Net::IPAddress::tryParse(text.substr(0, slash), address)) return false;
    if (slash == std::string::npos) return true;
    const std::string bits = text.substr(slash + 1);
    if (bits.empty() || bits.size() > 3 || bits.find_first_not_of("0123456789") != std::string::npos)
        return false;
    return std::stoi(bits) <= (address.family() == Poco::Net::IPAddress::IPv4 ? 32 : 128);
}

fs::path resolve(const fs::path& base, const std::string& path) {
    fs::path p(path);
    return (p.is_absolute() ? p : base / p).lexically_normal();
}

}  // namespace

EngineConfig loadEngineConfig(const fs::path& configDir, ConfigErrors& errors) {
    const fs::path file = fs::absolute(configDir).lexically_normal() / "engine.json";
    std::error_code ec;
    if (!fs::exists(file, ec)) return engineConfigFrom(configDir, json::object(), errors);
    const auto doc = readJsonFile(file, errors);
    return engineConfigFrom(configDir, doc ? *doc : json::object(), errors);
}

EngineConfig engineConfigFrom(const fs::path& configDir, const json& document,
                              ConfigErrors& errors) {
    EngineConfig config;
    config.configDir = fs::absolute(configDir).lexically_normal();
    config.dataDir = config.configDir / "data";
    config.flowsDir = config.configDir / "flows";
    config.credentialsDir = config.configDir / "credentials";

    const fs::path file = config.configDir / "engine.json";
    const json* doc = &document;
    if (!checkSchema(engineSchema(), *doc, file.string(), "", errors)) return config;
    config.document = document;

    const auto& dir = config.configDir;
    if (doc->contains("dataDir")) config.dataDir = resolve(dir, doc->at("dataDir"));
    if (doc->contains("flowsDir")) config.flowsDir = resolve(dir, doc->at("flowsDir"));
    if (doc->contains("credentialsDir"))
        config.credentialsDir = resolve(dir, doc->at("credentialsDir"));
    for (const auto& p : doc->value("pluginPath", json::array()))
        config.pluginPath.push_back(resolve(dir, p.get<std::string>()));
    config.logLevel = doc->value("logLevel", config.logLevel);
    config.logFormat = doc->value("logFormat", config.logFormat);
    // maxQueuedItems is the older spelling of queue.maxItems.
    auto& q = config.queue;
    q.maxItems = doc->value("maxQueuedItems", q.maxItems);
    const json queue = doc->value("queue", json::object());
    q.maxItems = queue.value("maxItems", q.maxItems);
    q.maxBytes = queue.value("maxBytes", q.maxBytes);
    q.walLimitBytes = queue.value("walLimitBytes", q.walLimitBytes);

    const json http = doc->value("http", json::object());
    auto& h = config.http;
    h.host = http.value("host", h.host);
    h.port = http.value("port", h.port);
    h.maxBodyBytes = http.value("maxBodyBytes", h.maxBodyBytes);
    h.maxHeaderBytes = http.value("maxHeaderBytes", h.maxHeaderBytes);
    h.maxHeaderFields = http.value("maxHeaderFields", h.maxHeaderFields);
    h.threads = http.value("threads", h.threads);
    h.maxQueuedRequests = http.value("maxQueuedRequests", h.maxQueuedRequests);
    h.maxConnections = http.value("maxConnections", h.maxConnections);
    h.maxConnectionsPerAddress = http.value("maxConnectionsPerAddress", h.maxConnectionsPerAddress);
    h.headerTimeout =
        std::chrono::milliseconds(http.value("headerTimeoutMs", h.headerTimeout.count()));
    h.keepAliveTimeout =
        std::chrono::milliseconds(http.value("keepAliveTimeoutMs", h.keepAliveTimeout.count()));
    h.requestTimeout =
        std::chrono::milliseconds(http.value("requestTimeoutMs", h.requestTimeout.count()));
    h.accessLog = http.value("accessLog", h.accessLog);
    if (http.contains("tls")) {
        const json& tls = http.at("tls");
        h.tls.certFile = resolve(dir, tls.at("certFile"));
        h.tls.keyFile = resolve(dir, tls.at("keyFile"));
        h.tls.minVersion = tls.value("minVersion", h.tls.minVersion);
    }
    const json network = doc->value("network", json::object());
    config.network.allowPrivateAddresses = network.value("allowPrivateAddresses", false);
    const json allow = network.value("allowAddresses", json::array());
    for (std::size_t i = 0; i < allow.size(); ++i) {
        const std::string text = allow[i].get<std::string>();
        if (isAddressOrRange(text))
            config.network.allowAddresses.push_back(text);
        else
            errors.push_back({file.string(), "/network/allowAddresses/" + std::to_string(i),
                              "'" + text + "' is not an address or CIDR range"});
    }
    config.publicBaseUrl = doc->value("publicBaseUrl", "");

    const json workers = doc->value("workers", json::object());
    auto& w = config.workers;
    // threads is the older spelling of processes (workers were threads of one process).
    w.processes = workers.value("threads", w.processes);
    w.processes = workers.value("processes", w.processes);
    w.batch = workers.value("batch", w.batch);
    w.lease = std::chrono::milliseconds(workers.value("leaseMs", w.lease.count()));
    w.stepTimeout =
        std::chrono::milliseconds(workers.value("stepTimeoutMs", w.stepTimeout.count()));
    w.chainPureSteps = workers.value("chainPureSteps", w.chainPureSteps);
    w.nice = workers.value("nice", w.nice);
    const json disk = doc->value("disk", json::object());
    config.disk.minFreeBytes = disk.value("minFreeBytes", config.disk.minFreeBytes);
    config.disk.checkInterval =
        std::chrono::milliseconds(disk.value("checkIntervalMs", config.disk.checkInterval.count()));
    config.stopGrace =
        std::chrono::milliseconds(doc->value("stopGraceMs", config.stopGrace.count()));

    const json admin = doc->value("admin", json::object());
    config.admin.host = admin.value("host", config.admin.host);
    config.admin.port = admin.value("port", config.admin.port);
    config.admin.token = admin.value("token", json());
    const json history = doc->value("history", json::object());
    config.history.maxMessageBytes =
        history.value("maxMessageBytes", config.history.maxMessageBytes);
    config.history.maxAgeDays = history.value("maxAgeDays", config.history.maxAgeDays);
    config.history.maxExecutions = history.value("maxExecutions", config.history.maxExecutions);

    config.reload.interval = std::chrono::milliseconds(
        doc->value("reload", json::object()).value("intervalMs", config.reload.interval.count()));

    config.retry = retryPolicyFrom(doc->value("retry", json::object()), config.retry);
    config.distributed = distributedSettingsFrom(*doc, dir, file.string(), errors);
    return config;
}

}  // namespace flowgate::config
