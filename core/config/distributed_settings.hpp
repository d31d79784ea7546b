// engine.json's choice of backend: the embedded SQLite queue (the default), or RabbitMQ
// for work items with PostgreSQL for shared state, which lets ingress and worker
// processes run on many machines (`flowgate ingress`, `flowgate worker`).
//
//   "queue": {"type": "rabbitmq", "url": "amqp://…" | {"env": "NAME"} | {"file": "path"},
//             "prefix": "flowgate", "prefetch": 32, "confirmTimeoutMs": 5000,
//             "deliveryLimit": 50},
//   "state": {"type": "postgres", "url": "postgresql://…" | {"env"} | {"file"},
//             "connections": 4}
//
// One without the other is an error. The URLs hold credentials: resolved here, never
// logged or echoed in an error.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "config/config_error.hpp"

namespace flowgate::config {

struct DistributedSettings {
    std::string brokerUrl;  // secret
    std::string prefix = "flowgate";
    int prefetch = 32;
    std::chrono::milliseconds confirmTimeout{5000};
    long long deliveryLimit = 50;
    std::string stateUrl;  // secret
    int stateConnections = 4;
};

// The JSON Schema of the "queue" keys this adds and of "state" (merged into engine.json's).
nlohmann::json distributedQueueSchemaProperties();
nlohmann::json distributedStateSchema();

// Reads "queue"/"state" of a schema-valid engine.json; nullopt for the embedded queue or
// when there are errors (appended with `file` and a JSON pointer). Secret references are
// resolved relative to `configDir`.
std::optional<DistributedSettings> distributedSettingsFrom(const nlohmann::json& document,
                                                           const std::filesystem::path& configDir,
                                                           const std::string& file,
                                                           ConfigErrors& errors);

}  // namespace flowgate::config
