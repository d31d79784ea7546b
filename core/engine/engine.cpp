#include "engine/engine.hpp"

#include <atomic>
#include <sstream>
#include <thread>

#include <Poco/Logger.h>

#include "admin/admin_api.hpp"
#include "admin/admin_server.hpp"
#include "admin/admin_token.hpp"
#include "attachments/attachment_store.hpp"
#include "distributed/distributed_backend.hpp"
#include "engine/config_reloader.hpp"
#include "engine/loaded_config.hpp"
#include "engine/worker_supervisor.hpp"
#include "flow/flow_catalog.hpp"
#include "webhooks/webhook_server.hpp"
#include "ipc/queue_service.hpp"
#include "ipc/worker_ledger.hpp"
#include "metrics/exposition.hpp"
#include "metrics/flow_figures.hpp"
#include "metrics/process_metrics.hpp"
#include "queue/disk_alarm.hpp"
#include "queue/guarded_queue.hpp"
#include "queue/sqlite_queue.hpp"
#include "runtime/runtime_metrics.hpp"

namespace flowgate::cli {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// How long a failing queue open is retried before the engine gives up at start (unless
// the disk alarm explains it: then it keeps trying in the background). Covers the moment
// in which a killed engine's processes are still letting go of the directory's lock.
constexpr std::chrono::milliseconds kOpenPatience{2000};
constexpr std::chrono::milliseconds kOpenRetry{100};
constexpr std::chrono::milliseconds kReopenInterval{1000};
// How long the start waits for the broker link (connected, queues declared and verified).
constexpr std::chrono::milliseconds kBrokerPatience{30000};

// The distributed backend of this process, its queues verified before traffic (or, if
// the broker cannot be reached yet, answering 503 until the link is up).
std::unique_ptr<distributed::DistributedBackend> openBackend(const config::DistributedSettings& settings,
                                                             const config::EngineConfig& engine,
                                                             EngineRole role) {
    distributed::DistributedSettings s;
    s.brokerUrl = settings.brokerUrl;
    s.state.url = settings.stateUrl;
    s.state.connections = static_cast<std::size_t>(settings.stateConnections);
    s.state.maxMessageBytes = engine.history.maxMessageBytes;
    s.state.maxAge = std::chrono::hours(24) * engine.history.maxAgeDays;
    s.state.maxExecutions = engine.history.maxExecutions;
    s.topology.prefix = settings.prefix;
    s.topology.deliveryLimit = settings.deliveryLimit;
    s.prefetch = static_cast<std::uint16_t>(settings.prefetch);
    s.confirmTimeout = settings.confirmTimeout;
    s.takesCalls = role != EngineRole::worker;
    s.runsWork = role != EngineRole::ingress;
    std::unique_ptr<distributed::DistributedBackend> backend;
    try {
        backend = std::make_unique<distributed::DistributedBackend>(s);
    } catch (const std::exception& e) {
        throw StartupError(std::string("cannot open the shared state: ") + e.what());
    }
    if (!backend->waitReady(kBrokerPatience))
        Poco::Logger::get("flowgate.intake")
            .error("the broker's queues are not verified yet: answering 503 until they are");
    return backend;
}

}  // namespace

// What /readyz and the webhook port's /health report besides the store's state.
enum class Phase { starting, ready, draining };

struct Engine::Parts {
    std::unique_ptr<LoadedConfig> loaded;
    EngineRole role = EngineRole::all;
    // The distributed mode's broker link and shared state: made first and gone last, as
    // the queue and the reply channel over them receive deliveries until it goes.
    std::unique_ptr<distributed::DistributedBackend> backend;
    flow::FlowCatalog catalog;
    runtime::RuntimeMetrics runtimeMetrics;
    http::HttpMetrics httpMetrics;
    http::EdgeMetrics edgeMetrics;
    http::RateLimiter rateLimiter;
    std::unique_ptr<reply::ReplyChannel> ownReplies = reply::makeInProcessReplyChannel();
    reply::ReplyChannel* replies = ownReplies.get();  // or the backend's
    std::unique_ptr<queue::DiskAlarm> diskAlarm;
    std::unique_ptr<queue::GuardedQueue> queue;
    std::unique_ptr<attachments::AttachmentStore> attachments;
    std::unique_ptr<http::WebhookServer> server;
    ipc::WorkerLedger ledger;
    std::unique_ptr<ipc::QueueService> queueService;
    std::unique_ptr<WorkerSupervisor> workers;
    ReloadMetrics reloadMetrics;
    std::unique_ptr<ConfigReloader> reloader;
    http::EdgeMetrics adminEdgeMetrics;
    std::unique_ptr<admin::AdminApi> adminApi;
    std::unique_ptr<admin::AdminServer> adminServer;  // stopped before the queue closes
    // Set after the parts it guards exist (ready) and before they go (draining); the
    // admin listener runs before and after both.
    std::atomic<Phase> phase{Phase::starting};
    bool stopped = false;

    // Ready: started, not draining, the store open and no disk alarm. The details are the
    // body of the admin port's /readyz.
    std::pair<bool, json> readiness() const {
        const Phase now = phase.load();
        if (now == Phase::starting) return {false, {{"status", "starting"}}};
        if (now == Phase::draining) return {false, {{"status", "draining"}}};
        json details = health();
        const bool ok = details.value("status", "") == "ok";
        return {ok, std::move(details)};
    }

    json health() const {
        if (diskAlarm->raised()) return {{"status", "disk-alarm"}, {"reason", diskAlarm->reason()}};
        if (backend && !backend->ready())
            return {{"status", "unavailable"}, {"reason", "not connected to the broker"}};
        queue::QueueStats stats;
        try {
            stats = queue->stats();
        } catch (const queue::QueueUnavailable& e) {
            return {{"status", "unavailable"}, {"reason", e.what()}};
        }
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

    // Every running flow (zeros until it has activity) and what the store holds of each;
    // empty while the store cannot be read.
    std::map<std::string, metrics::FlowFigures> flowFigures() const {
        std::map<std::string, metrics::FlowFigures> flows;
        auto* history = queue->history();
        if (!history) return flows;
        try {
            for (const auto& [id, flow] : catalog.snapshot()->all()) flows[id];
            for (const auto& [id, activity] : history->flowActivity()) {
                auto& figures = flows[id];
                figures.queueDepth = activity.queueDepth;
                figures.executionsByStatus = activity.byStatus;
            }
        } catch (const queue::QueueUnavailable&) {
            return {};
        }
        return flows;
    }

    std::string metrics() const {
        queue::QueueStats stats;  // zeros while the queue is not open
        try {
            stats = queue->stats();
        } catch (const queue::QueueUnavailable&) {
        }
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
        counter("flowgate_worker_restarts_total", "Worker processes that exited and were replaced",
                runtimeMetrics.workerRestarts.load());
        gauge("flowgate_disk_alarm",
              "1 while free space on the data directory is below "
              "disk.minFreeBytes",
              diskAlarm->raised() ? 1 : 0);
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
        // The labelled families (by flow, step, status), histograms and process figures.
        auto families = httpMetrics.requests.collect();
        for (auto& family : runtimeMetrics.steps.collect()) families.push_back(std::move(family));
        for (auto& family : metrics::processFamilies(ledger.pids()))
            families.push_back(std::move(family));
        for (auto& family : metrics::flowFamilies(flowFigures()))
            families.push_back(std::move(family));
        out << metrics::exposition(families);
        return out.str();
    }
};

namespace {

std::string errorLines(const config::ConfigErrors& errors) {
    std::string lines;
    for (const auto& error : errors) lines += (lines.empty() ? "" : "\n") + error.toString();
    return lines;
}

}  // namespace

ConfigRejected::ConfigRejected(const config::ConfigErrors& errors)
    : StartupError(errorLines(errors)) {}

Engine::Engine(const EngineOptions& options) : parts_(std::make_unique<Parts>()) {
    parts_->loaded = loadConfig(options);
    if (!parts_->loaded->engineErrors.empty()) throw ConfigRejected(parts_->loaded->engineErrors);
    parts_->role = options.role;
    if (options.role != EngineRole::all && !parts_->loaded->engine.distributed)
        throw StartupError(std::string(options.role == EngineRole::ingress ? "ingress" : "worker") +
                           " needs a distributed backend: engine.json \"queue\": {\"type\": "
                           "\"rabbitmq\", …} and \"state\": {\"type\": \"postgres\", …}");
    parts_->catalog.replace(parts_->loaded->flows);
    // The baseline signature is taken now, so only changes after this load count.
    parts_->reloader = std::make_unique<ConfigReloader>(
        parts_->loaded->engine, parts_->loaded->components, parts_->catalog, parts_->reloadMetrics);
}

Engine::~Engine() {
    stop();
}

void Engine::start() {
    auto& p = *parts_;
    const auto& engine = p.loaded->engine;
    auto& logger = Poco::Logger::get("flowgate.intake");
    // Logged here rather than at load, so the lines take the configured log format.
    logLoaded(*p.loaded);
    std::error_code ec;
    fs::create_directories(engine.dataDir, ec);
    if (ec)
        throw StartupError("cannot create data directory " + engine.dataDir.string() + ": " +
                           ec.message());

    // The admin listener first, so /livez and /readyz answer while the queue opens.
    try {
        p.adminServer = std::make_unique<admin::AdminServer>(
            engine.admin, admin::adminToken(engine),
            admin::AdminProbes{
                [&p] { return p.readiness(); },
                [&p] { return p.phase.load() == Phase::starting ? std::string() : p.metrics(); }},
            p.adminEdgeMetrics);
    } catch (const admin::AdminTokenError& e) {
        throw StartupError(e.what());
    } catch (const std::exception& e) {
        throw StartupError("cannot listen on " + engine.admin.host + ":" +
                           std::to_string(engine.admin.port) + " (admin): " + e.what());
    }
    p.adminServer->start();

    p.diskAlarm = std::make_unique<queue::DiskAlarm>(
        engine.dataDir, engine.disk.minFreeBytes, engine.disk.checkInterval,
        [&logger](bool raised, const std::string& text) {
            if (raised)
                logger.error("%s: webhooks get 503, workers pause", text);
            else
                logger.warning("%s: accepting webhooks again", text);
        });
    std::unique_ptr<queue::Queue> opened;
    queue::GuardedQueue::Opener openQueue;
    if (const auto& settings = engine.distributed) {
        p.backend = openBackend(*settings, engine, p.role);
        opened = p.backend->makeQueue();
        p.replies = &p.backend->replies();
        // The link reconnects by itself; a queue over it is never made again.
        openQueue = []() -> std::unique_ptr<queue::Queue> {
            throw queue::QueueUnavailable("the distributed queue is opened once, at start");
        };
    } else {
        queue::SqliteQueueOptions queueOptions;
        queueOptions.dataDir = engine.dataDir;
        queueOptions.maxReady = static_cast<std::size_t>(engine.queue.maxItems);
        queueOptions.maxBacklogBytes = engine.queue.maxBytes;
        queueOptions.walLimitBytes = engine.queue.walLimitBytes;
        // Halfway between the webhook path and the workers: it gives way to webhooks, but
        // not wholly to the backlog's steps, since when it falls behind, the writer does
        // its copying between two batches (at nice 19 beside jq workers: p99 8.6-12.3 ms
        // against 7.9-9.0 ms at 10, same rate).
        queueOptions.checkpointerNice = (engine.workers.nice + 1) / 2;
        queueOptions.history.maxMessageBytes = engine.history.maxMessageBytes;
        queueOptions.history.maxAge = std::chrono::hours(24) * engine.history.maxAgeDays;
        queueOptions.history.maxExecutions = engine.history.maxExecutions;
        openQueue = [queueOptions]() -> std::unique_ptr<queue::Queue> {
            return std::make_unique<queue::SqliteQueue>(queueOptions);
        };
        std::string openError;
        for (const auto giveUp = std::chrono::steady_clock::now() + kOpenPatience;;) {
            try {
                opened = openQueue();
                break;
            } catch (const std::exception& e) {
                openError = e.what();
            }
            if (p.diskAlarm->raised() || std::chrono::steady_clock::now() >= giveUp) break;
            std::this_thread::sleep_for(kOpenRetry);
        }
        if (!opened && !p.diskAlarm->raised())
            throw StartupError("cannot open the queue: " + openError);
    }
    p.queue = std::make_unique<queue::GuardedQueue>(
        std::move(opened), openQueue, *p.diskAlarm, kReopenInterval,
        [&logger](const std::string& error) {
            logger.error("cannot open the queue yet, answering 503 until it opens: %s", error);
        });
    try {
        p.attachments = std::make_unique<attachments::AttachmentStore>(
            attachments::AttachmentStore::rootFor(engine.dataDir));
    } catch (const std::exception& e) {
        throw StartupError(std::string("cannot open the attachment store: ") + e.what());
    }
    // A worker host takes no webhook calls; an ingress runs no steps.
    if (p.role != EngineRole::worker) {
        try {
            p.server = std::make_unique<http::WebhookServer>(
                http::WebhookServices{p.catalog, *p.queue, *p.attachments, *p.replies, p.rateLimiter,
                                      engine.http, p.httpMetrics, engine.publicBaseUrl},
                http::StatusEndpoints{[&p] { return p.readiness().first; }}, p.edgeMetrics);
        } catch (const http::TlsError& e) {
            throw StartupError("HTTPS: " + std::string(e.what()));
        } catch (const std::exception& e) {
            throw StartupError("cannot listen on " + engine.http.host + ":" +
                               std::to_string(engine.http.port) + ": " + e.what());
        }
    }
    if (p.role != EngineRole::ingress) {
        const fs::path socket = engine.dataDir / "workers.sock";
        try {
            p.queueService = std::make_unique<ipc::QueueService>(
                socket, *p.queue, p.ledger, *p.replies, p.runtimeMetrics, engine.workers.lease,
                engine.workers.nice);
        } catch (const std::exception& e) {
            throw StartupError(std::string("cannot open the worker socket: ") + e.what());
        }
        std::vector<std::string> workerArgs = {
            "_worker",
            "--config",
            engine.configDir.string(),
            "--data",
            engine.dataDir.string(),
            "--socket",
            socket.string(),
            "--public-base-url",
            engine.publicBaseUrl.empty() ? baseUrl() : engine.publicBaseUrl,
            "--log-format",  // a --log-format of `run` reaches the workers too
            engine.logFormat,
            "--engine-json",  // the settings this intake runs on, whatever the file says later
            engine.document.dump(),
            "--log-fd",  // see WorkerSupervisor: stdout and stderr are captured
            "3"};
        for (const auto& dir : engine.pluginPath) {
            workerArgs.push_back("--plugins");
            workerArgs.push_back(dir.string());
        }
        p.workers = std::make_unique<WorkerSupervisor>(std::move(workerArgs), engine.workers.processes,
                                                       engine.workers.nice,
                                                       p.ledger, *p.queueService, p.catalog,
                                                       engine.retry, p.runtimeMetrics);
        p.workers->start();
    }
    p.adminApi = std::make_unique<admin::AdminApi>(
        p.catalog, *p.queue, engine.publicBaseUrl.empty() ? baseUrl() : engine.publicBaseUrl);
    p.adminServer->setApi(p.adminApi.get());
    if (p.server) p.server->start();
    p.reloader->start();
    p.phase = Phase::ready;
}

void Engine::reload() {
    if (parts_->server) parts_->server->reloadCertificate();
    if (parts_->reloader) parts_->reloader->requestReload();
    if (parts_->workers) parts_->workers->reload();
}

void Engine::stop() {
    auto& p = *parts_;
    if (p.stopped || !p.queue) {
        p.adminServer.reset();  // a start that failed after the listener came up
        return;
    }
    p.stopped = true;
    p.phase = Phase::draining;  // /readyz says so at once, while the rest winds down
    const auto began = std::chrono::steady_clock::now();
    p.reloader->stop();  // no catalog swaps while shutting down
    p.server.reset();    // no new messages; requests in progress are answered first
    // The workers get what is left of the grace: in-flight steps finish, leased items are
    // released; a step still running then is killed and fails its attempt.
    const auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - began);
    if (p.workers)
        p.workers->stop(p.loaded->engine.stopGrace, spent);
    p.workers.reset();
    p.adminServer.reset();  // before the queue it reads
    p.queueService.reset();
    p.queue.reset();  // drains pending commits, closes the database
    p.diskAlarm.reset();
}

int Engine::port() const {
    return parts_->server ? parts_->server->port() : 0;
}

int Engine::adminPort() const {
    return parts_->adminServer ? parts_->adminServer->port() : 0;
}

std::string Engine::adminUrl() const {
    return "http://" + config().admin.host + ":" + std::to_string(adminPort());
}

const config::EngineConfig& Engine::config() const {
    return parts_->loaded->engine;
}

std::string Engine::baseUrl() const {
    const bool https = parts_->server ? parts_->server->secure() : config().http.tls.enabled();
    // A worker host has no webhook port: its resume URLs name the configured one (set
    // publicBaseUrl to the ingresses' address).
    const int shown = parts_->server ? port() : config().http.port;
    return (https ? "https://" : "http://") + config().http.host + ":" + std::to_string(shown);
}

std::vector<std::string> Engine::flowIds() const {
    std::vector<std::string> ids;
    for (const auto& [id, flow] : parts_->catalog.snapshot()->all())
        if (flow->enabled) ids.push_back(id);
    return ids;
}

ValidationReport validateConfig(const EngineOptions& options) {
    auto loaded = loadConfig(options);
    config::ConfigErrors errors = std::move(loaded->engineErrors);
    // The certificate too: validate names what would stop `run`.
    if (const auto& tls = loaded->engine.http.tls; tls.enabled()) {
        try {
            http::TlsContext check(tls);
        } catch (const http::TlsError& e) {
            errors.push_back(
                {(loaded->engine.configDir / "engine.json").string(), "/http/tls", e.what()});
        }
    }
    for (auto& error : loaded->errors) errors.push_back(std::move(error));
    return {std::move(errors), std::move(loaded->pluginErrors), loaded->flows->all().size()};
}

}  // namespace flowgate::cli
