// Engine settings: the one `engine.json` in a config directory (optional; every field
// has a default). Paths in it are relative to the config directory.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config_error.hpp"
#include "config/distributed_settings.hpp"

namespace flowgate::config {

// How often a failing step is tried and how long to wait in between: the n-th retry
// waits initialDelay * 2^(n-1), capped at maxDelay, with up to 20% jitter.
struct RetryPolicy {
    int maxAttempts = 5;
    std::chrono::milliseconds initialDelay{1000};
    std::chrono::milliseconds maxDelay{300000};

    std::chrono::milliseconds delayBeforeRetry(int failedAttempts) const;
};

// HTTPS on the webhook port (http/tls_context.hpp): PEM files, the certificate file
// holding the chain (server certificate first). Reloaded on SIGHUP.
struct TlsSettings {
    std::filesystem::path certFile;  // empty: plain HTTP
    std::filesystem::path keyFile;
    std::string minVersion = "1.2";  // or "1.3"

    bool enabled() const { return !certFile.empty(); }
};

// The webhook port (http/edge_server.hpp): an event loop holds the connections, a pool of
// `threads` handler threads serves complete requests.
struct HttpSettings {
    std::string host = "127.0.0.1";
    int port = 8080;
    std::size_t maxBodyBytes = 1024 * 1024;
    std::size_t maxHeaderBytes = 16 * 1024;  // request line and header fields
    std::size_t maxHeaderFields = 100;
    int threads = 64;                      // handler threads: requests handled at once
    std::size_t maxQueuedRequests = 1024;  // complete requests waiting for a handler
    std::size_t maxConnections = 10000;    // open at once, in total
    std::size_t maxConnectionsPerAddress = 1024;
    // From a request's first byte: its headers must be in within headerTimeout, and the
    // whole request (body too) must be in and taken by a handler within requestTimeout.
    std::chrono::milliseconds headerTimeout{10000};
    std::chrono::milliseconds requestTimeout{15000};
    std::chrono::milliseconds keepAliveTimeout{5000};  // idle between requests
    bool accessLog = true;  // a "flowgate.access" line per request (http/access_log.hpp)
    TlsSettings tls;
};

struct WorkerSettings {
    int processes = 2;  // worker processes; each runs one step at a time
    int batch = 32;     // work items leased and settled together
    // A safety net only: the intake takes back the items of a worker that dies, and a step
    // past its deadline has its worker killed. An item whose worker does neither within
    // the lease is handed out again.
    std::chrono::milliseconds lease{3600000};
    // A step's deadline unless the flow's step sets timeoutMs.
    std::chrono::milliseconds stepTimeout{300000};
    // Run the step after a pure step (FunctionSpec::pure) in the same attempt instead of
    // storing the pure step's output as a work item (runtime/step_chain.hpp).
    bool chainPureSteps = true;
    // How much lower the CPU priority of background work is than the intake's (nice
    // increment, 0-19): the worker processes and the intake's thread serving each of them
    // (the WAL checkpointer gets half of it). When the CPUs are all busy, answering
    // webhooks goes first and the backlog is worked off with what is left; an idle CPU is
    // used either way.
    int nice = 19;
};

// The disk alarm: below `minFreeBytes` free on the data directory's file system webhooks
// get 503 and workers take nothing, until space comes back.
struct DiskSettings {
    std::uint64_t minFreeBytes = 64ull * 1024 * 1024;
    std::chrono::milliseconds checkInterval{1000};
};

struct NetworkSettings {
    // Steps that call out (http, webhook send, twitter) refuse loopback, private,
    // link-local and other internal addresses unless this is set.
    bool allowPrivateAddresses = false;
    // Addresses or CIDR ranges those steps may call even though they are internal.
    std::vector<std::string> allowAddresses;
};

// The embedded queue's limits (see queue/sqlite_queue.hpp). Past maxItems or maxBytes of
// backlog, webhooks answer 503 with Retry-After until the workers catch up.
struct QueueSettings {
    long long maxItems = 1000000;
    unsigned long long maxBytes = 1ull << 30;  // 0: no byte limit
    unsigned long long walLimitBytes = 64ull << 20;
};

// Picking up changed config while the engine runs (see engine/config_reloader.hpp).
struct ReloadSettings {
    // How often plugin, flow and credential directories are checked; 0: only on SIGHUP.
    std::chrono::milliseconds interval{2000};
};

// The admin listener (admin/admin_server.hpp): API, /livez, /readyz, /metrics.
struct AdminSettings {
    std::string host = "127.0.0.1";
    int port = 8081;  // 0: any free port
    // A secret reference ({"env": ...} or {"file": ...}); null: on a loopback host a token
    // is generated into <dataDir>/admin-token, elsewhere the engine refuses to start.
    nlohmann::json token;
};

// The execution history kept in the queue (queue/execution_history.hpp).
struct HistorySettings {
    std::size_t maxMessageBytes = 64 * 1024;
    int maxAgeDays = 7;
    long long maxExecutions = 100000;
};

struct EngineConfig {
    std::filesystem::path configDir;
    std::filesystem::path dataDir;
    std::filesystem::path flowsDir;
    std::filesystem::path credentialsDir;
    std::vector<std::filesystem::path> pluginPath;
    HttpSettings http;
    WorkerSettings workers;
    NetworkSettings network;
    std::string publicBaseUrl;  // how callers reach this engine; empty: from http host/port
    RetryPolicy retry;
    ReloadSettings reload;
    DiskSettings disk;
    // SIGTERM/SIGINT: how long steps still running may take before their workers are
    // killed (their items then count a failed attempt).
    std::chrono::milliseconds stopGrace{30000};
    QueueSettings queue;
    AdminSettings admin;
    HistorySettings history;
    // Set when "queue" is RabbitMQ with "state" in PostgreSQL (ingress and worker roles);
    // unset: the embedded SQLite queue.
    std::optional<DistributedSettings> distributed;
    std::string logLevel = "information";
    std::string logFormat = "text";  // or "json": one object per line (engine/logging.hpp)
    // engine.json as read and checked ({} without a file): the intake hands it to its
    // workers, so a worker started later runs on the intake's settings, not on a file
    // that was changed or broken since.
    nlohmann::json document = nlohmann::json::object();
};

// Reads `<configDir>/engine.json` if it exists. Errors (with file and JSON pointer) are
// appended to `errors`; the returned config then holds defaults where values were bad.
EngineConfig loadEngineConfig(const std::filesystem::path& configDir, ConfigErrors& errors);

// The same from `document` in place of the file's content (errors still name the file).
EngineConfig engineConfigFrom(const std::filesystem::path& configDir,
                              const nlohmann::json& document, ConfigErrors& errors);

// Reads a flow's or the engine's "retry" object over `base`.
RetryPolicy retryPolicyFrom(const nlohmann::json& retry, RetryPolicy base);

// The JSON Schema of a "retry" object, shared by engine.json and flow files.
const nlohmann::json& retryPolicySchema();

}  // namespace flowgate::config
