#include "cli/engine.hpp"

#include <sstream>

#include <Poco/Logger.h>

#include "cli/config_reloader.hpp"
#include "config/credential_store.hpp"
#include "flow/flow_catalog.hpp"
#include "flow/flow_loader.hpp"
#include "attachments/attachment_store.hpp"
#include "http/webhook_server.hpp"
#include "plugin/component_registry.hpp"
#include "queue/sqlite_queue.hpp"
#include "runtime/worker_pool.hpp"

namespace flowgate::cli {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// What a config directory holds once loaded: the common part of `run` and `validate`.
struct LoadedConfig {
    config::EngineConfig engine;
    plugin::ComponentRegistry components;
    config::CredentialStore credentials;
    std::shared_ptr<const flow::FlowSet> flows;
    config::ConfigErrors errors;
    std::vector<std::string> pluginErrors;
};

std::unique_ptr<LoadedConfig> loadConfig(const EngineOptions& options) {
    auto loaded = std::make_unique<LoadedConfig>();
    loaded->engine = config::loadEngineConfig(options.configDir, loaded->errors);
    auto& engine = loaded->engine;
    if (options.port) engine.http.port = *options.port;
    if (options.dataDir) engine.dataDir = fs::absolute(*options.dataDir);
    if (!options.pluginDirs.empty()) {
        engine.pluginPath.clear();
        for (const auto& dir : options.pluginDirs) engine.pluginPath.push_back(fs::absolute(dir));
    }
    for (const auto& dir : engine.pluginPath)
        for (auto& error : loaded->components.loadDirectory(dir))
            loaded->pluginErrors.push_back(std::move(error));
    loaded->credentials = config::CredentialStore::load(engine.credentialsDir, loaded->errors);
    auto flows = flow::loadFlows(engine.flowsDir, loaded->components, loaded->credentials,
                                 engine.retry);
    loaded->flows = std::move(flows.flows);
    for (auto& error : flows.errors) loaded->errors.push_back(std::move(error));
    return loaded;
}

}  // namespace

struct Engine::Parts {
    std::unique_ptr<LoadedConfig> loaded;
    flow::FlowCatalog catalog;
    runtime::RuntimeMetrics runtimeMetrics;
    http::HttpMetrics httpMetrics;
    http::EdgeMetrics edgeMetrics;
    http::RateLimiter rateLimiter;
    std::unique_ptr<reply::ReplyChannel> replies = reply::makeInProcessReplyChannel();
    std::unique_ptr<queue::SqliteQueue> queue;
    std::unique_ptr<attachments::AttachmentStore> attachments;
    std::unique_ptr<runtime::WorkerPool> workers;
    std::unique_ptr<http::WebhookServer> server;
    ReloadMetrics reloadMetrics;
    std::unique_ptr<ConfigReloader> reloader;
    bool stopped = false;

    json health() const {
        const auto stats = queue->stats();
        const auto& engine = loaded->engine;
        return {{"status", "ok"},
                {"flows", catalog.snapshot()->all().size()},
                {"queue",
                 {{"ready", stats.ready},
                  {"leased", stats.leased},
                  {"waiting", stats.waiting},
                  {"deadLetters", stats.deadLetters},
                  {"backlogBytes", stats.backlogBytes},
                  {"maxItems", engine.queue.maxItems},
                  {"maxBytes", engine.queue.maxBytes},
                  {"databaseBytes", stats.databaseBytes},
                  {"walBytes", stats.walBytes}}}};
    }

    std::string metrics() const {
        const auto stats = queue->stats();
        const auto& engine = loaded->engine;
        std::ostringstream out;
        auto counter = [&](const char* name, const char* help, auto value) {
            out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << " counter\n"
                << name << ' ' << value << '\n';
        };
        auto gauge = [&](const char* name, const char* help, auto value) {
            out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << " gauge\n"
                << name << ' ' << value << '\n';
        };
        counter("flowgate_webhooks_accepted_total", "Webhook calls stored durably",
                httpMetrics.accepted.load());
        counter("flowgate_webhooks_rejected_total", "Webhook calls answered with a 4xx",
                httpMetrics.clientErrors.load());
        counter("flowgate_webhooks_unavailable_total", "Webhook calls answered 503",
                httpMetrics.unavailable.load());
        counter("flowgate_webhooks_duplicates_total", "Repeated delivery ids answered 200",
                httpMetrics.duplicates.load());
        counter("flowgate_executions_resumed_total", "Paused executions resumed by their URL",
                httpMetrics.resumed.load());
        counter("flowgate_http_malformed_total",
                "Requests refused for their framing or size before any handler (4xx, 505)",
                edgeMetrics.malformed.load());
        counter("flowgate_http_incomplete_total",
                "Requests cut off by EOF or a deadline before they were whole: not answered",
                edgeMetrics.incomplete.load());
        counter("flowgate_http_refused_connections_total",
                "Connections refused over the total or per-address cap",
                edgeMetrics.refusedConnections.load());
        counter("flowgate_http_overloaded_total",
                "Requests answered 503 because no handler took them in time",
                edgeMetrics.overloaded.load());
        counter("flowgate_http_handler_errors_total", "Requests whose handler threw: 500",
                edgeMetrics.handlerErrors.load());
        gauge("flowgate_http_connections", "Open HTTP connections",
              edgeMetrics.connections.load());
        counter("flowgate_steps_completed_total", "Steps that ran to completion",
                runtimeMetrics.stepsCompleted.load());
        counter("flowgate_steps_failed_total", "Failed step attempts",
                runtimeMetrics.stepsFailed.load());
        counter("flowgate_steps_dead_lettered_total", "Work items moved to dead letters",
                runtimeMetrics.stepsDeadLettered.load());
        counter("flowgate_branches_ended_total", "Completed steps that passed nothing on",
                runtimeMetrics.branchesEnded.load());
        counter("flowgate_steps_paused_total", "Steps that paused their execution to wait",
                runtimeMetrics.stepsWaiting.load());
        gauge("flowgate_queue_ready", "Work items stored and waiting", stats.ready);
        gauge("flowgate_queue_leased", "Work items being run", stats.leased);
        gauge("flowgate_queue_waiting", "Work items paused until resumed or timed out",
              stats.waiting);
        gauge("flowgate_dead_letters", "Work items in the dead-letter table", stats.deadLetters);
        gauge("flowgate_queue_backlog_bytes", "Bytes of the messages of stored work items",
              stats.backlogBytes);
        gauge("flowgate_queue_backlog_limit_items", "Backlog at which webhooks get 503",
              engine.queue.maxItems);
        gauge("flowgate_queue_backlog_limit_bytes",
              "Backlog bytes at which webhooks get 503 (0: none)", engine.queue.maxBytes);
        gauge("flowgate_queue_database_bytes", "Size of the queue's database file",
              stats.databaseBytes);
        gauge("flowgate_queue_wal_bytes", "Size of the queue's write-ahead log", stats.walBytes);
        counter("flowgate_queue_wal_checkpoints_total", "WAL resets (checkpointed and restarted)",
                stats.checkpoints);
        counter("flowgate_queue_commits_total", "Queue transactions (group commits)", stats.commits);
        counter("flowgate_queue_committed_ops_total", "Queue operations those commits served",
                stats.committedOps);
        gauge("flowgate_flows", "Flows running", catalog.snapshot()->all().size());
        counter("flowgate_reloads_total", "Config reloads (files changed, or SIGHUP)",
                reloadMetrics.reloads.load());
        counter("flowgate_reload_failures_total", "Reloads that refused a file or failed",
                reloadMetrics.failures.load());
        return out.str();
    }
};

Engine::Engine(const EngineOptions& options) : parts_(std::make_unique<Parts>()) {
    auto& logger = Poco::Logger::get("flowgate");
    parts_->loaded = loadConfig(options);
    auto& loaded = *parts_->loaded;
    for (const auto& error : loaded.pluginErrors) logger.error(error);
    for (const auto& error : loaded.errors) logger.error(error.toString());
    for (const auto& c : loaded.components.all())
        logger.information("component %s %s from %s", c->manifest.name, c->manifest.version,
                           c->file.string());
    parts_->catalog.replace(loaded.flows);
    // The baseline signature is taken now, so only changes after this load count.
    parts_->reloader = std::make_unique<ConfigReloader>(loaded.engine, loaded.components,
                                                        parts_->catalog, parts_->reloadMetrics);
}

Engine::~Engine() { stop(); }

void Engine::start() {
    auto& p = *parts_;
    const auto& engine = p.loaded->engine;
    std::error_code ec;
    fs::create_directories(engine.dataDir, ec);
    if (ec) throw StartupError("cannot create data directory " + engine.dataDir.string() + ": " + ec.message());
    try {
        queue::SqliteQueueOptions queueOptions;
        queueOptions.dataDir = engine.dataDir;
        queueOptions.maxReady = static_cast<std::size_t>(engine.queue.maxItems);
        queueOptions.maxBacklogBytes = engine.queue.maxBytes;
        queueOptions.walLimitBytes = engine.queue.walLimitBytes;
        p.queue = std::make_unique<queue::SqliteQueue>(queueOptions);
    } catch (const std::exception& e) {
        throw StartupError(std::string("cannot open the queue: ") + e.what());
    }
    try {
        p.attachments = std::make_unique<attachments::AttachmentStore>(
            attachments::AttachmentStore::rootFor(engine.dataDir));
    } catch (const std::exception& e) {
        throw StartupError(std::string("cannot open the attachment store: ") + e.what());
    }
    try {
        p.server = std::make_unique<http::WebhookServer>(
            http::WebhookServices{p.catalog, *p.queue, *p.attachments, *p.replies, p.rateLimiter,
                                  engine.http, p.httpMetrics, engine.publicBaseUrl},
            http::StatusEndpoints{[&p] { return p.health(); }, [&p] { return p.metrics(); }},
            p.edgeMetrics);
    } catch (const std::exception& e) {
        throw StartupError("cannot listen on " + engine.http.host + ":" +
                           std::to_string(engine.http.port) + ": " + e.what());
    }
    const std::string publicBaseUrl =
        engine.publicBaseUrl.empty() ? baseUrl() : engine.publicBaseUrl;
    const json engineSettings = {
        {"network",
         {{"allowPrivateAddresses", engine.network.allowPrivateAddresses},
          {"allowAddresses", engine.network.allowAddresses}}},
        {"publicBaseUrl", publicBaseUrl}};
    p.workers = std::make_unique<runtime::WorkerPool>(*p.queue, p.catalog, *p.replies,
                                                      *p.attachments, engine.workers,
                                                      engineSettings, p.runtimeMetrics);
    p.workers->start();
    p.server->start();
    p.reloader->start();
}

void Engine::reload() {
    if (parts_->reloader) parts_->reloader->requestReload();
}

void Engine::stop() {
    auto& p = *parts_;
    if (p.stopped || !p.queue) return;
    p.stopped = true;
    p.reloader->stop();  // no catalog swaps while shutting down
    p.server.reset();   // no new messages; requests in progress are answered first
    p.workers.reset();  // in-flight steps finish, leased items are released
    p.queue.reset();    // drains pending commits, closes the database
}

int Engine::port() const { return parts_->server ? parts_->server->port() : 0; }

const config::EngineConfig& Engine::config() const { return parts_->loaded->engine; }

std::string Engine::baseUrl() const {
    return "http://" + config().http.host + ":" + std::to_string(port());
}

std::vector<std::string> Engine::flowIds() const {
    std::vector<std::string> ids;
    for (const auto& [id, flow] : parts_->catalog.snapshot()->all())
        if (flow->enabled) ids.push_back(id);
    return ids;
}

ValidationReport validateConfig(const EngineOptions& options) {
    auto loaded = loadConfig(options);
    return {std::move(loaded->errors), std::move(loaded->pluginErrors),
            loaded->flows->all().size()};
}

}  // namespace flowgate::cli
