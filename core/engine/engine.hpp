// The intake process of `flowgate run`: config, flows, the embedded queue behind the disk
// alarm, the Webhooks Service, the worker link and the supervision of the worker
// processes, wired together and started in that order. It loads plugins to validate flows
// but never runs a step: steps run in the workers (engine/worker_role.hpp).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/config_error.hpp"
#include "config/engine_config.hpp"

namespace flowgate::cli {

// Command-line overrides of engine.json.
struct EngineOptions {
    std::filesystem::path configDir = "config";
    std::optional<int> port;
    std::optional<int> adminPort;  // admin.port
    std::optional<std::filesystem::path> dataDir;
    std::vector<std::filesystem::path> pluginDirs;  // if set, replace engine.json's pluginPath
    std::optional<std::string> logFormat;           // "text" or "json"
    // Workers: engine.json's content as the intake read it (config::EngineConfig::document).
    std::optional<nlohmann::json> engineDocument;
};

// The engine cannot start (unreadable engine.json, data directory locked, port taken).
class StartupError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// engine.json has errors: the engine does not start on guessed settings. what() holds
// one line per error ("file: /pointer: reason").
class ConfigRejected : public StartupError {
public:
    explicit ConfigRejected(const config::ConfigErrors& errors);
};

class Engine {
public:
    // Loads the config directory; throws ConfigRejected if engine.json has errors.
    explicit Engine(const EngineOptions& options);
    ~Engine();

    // Logs what the config load found, opens the queue (or, while the disk alarm is raised, keeps
    // trying in the background and answers 503 meanwhile), starts the workers, then starts serving.
    // Throws StartupError.
    void start();
    // Graceful: stop accepting, let requests in progress finish, let workers finish or
    // release their items within stopGraceMs (then kill them), close the queue.
    // Idempotent.
    void stop();
    // Reloads plugins, credentials and flows now (SIGHUP), here and in every worker, and
    // the TLS certificate; returns at once. See engine/config_reloader.hpp.
    void reload();

    int port() const;
    int adminPort() const;
    // "http://host:port" of the admin listener
    std::string adminUrl() const;
    const config::EngineConfig& config() const;
    // "http://host:port", or "https://host:port" with http.tls
    std::string baseUrl() const;
    std::vector<std::string> flowIds() const;

private:
    struct Parts;
    std::unique_ptr<Parts> parts_;
};

// Loads everything `validate` checks. Errors are collected, never thrown.
struct ValidationReport {
    config::ConfigErrors errors;  // config files: file + pointer + reason
    std::vector<std::string> pluginErrors;
    std::size_t validFlows = 0;
};
ValidationReport validateConfig(const EngineOptions& options);

}  // namespace flowgate::cli
