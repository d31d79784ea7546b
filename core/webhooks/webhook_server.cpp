#include "webhooks/webhook_server.hpp"

#include "flow/resume_url.hpp"

#include "http/json_response.hpp"

namespace flowgate::http {

EdgeSettings edgeSettings(const config::HttpSettings& settings) {
    EdgeSettings edge;
    edge.host = settings.host;
    edge.port = settings.port;
    edge.handlerThreads = settings.threads;
    edge.maxQueuedRequests = settings.maxQueuedRequests;
    edge.maxConnections = settings.maxConnections;
    edge.maxConnectionsPerAddress = settings.maxConnectionsPerAddress;
    edge.headerTimeout = settings.headerTimeout;
    edge.requestTimeout = settings.requestTimeout;
    edge.keepAliveTimeout = settings.keepAliveTimeout;
    edge.limits.maxHeaderBytes = settings.maxHeaderBytes;
    edge.limits.maxHeaderFields = settings.maxHeaderFields;
    edge.limits.maxBodyBytes = settings.maxBodyBytes;
    edge.accessLog = settings.accessLog;
    edge.tls = settings.tls;
    return edge;
}

WebhookServer::WebhookServer(WebhookServices services, StatusEndpoints status,
                             EdgeMetrics& edgeMetrics)
    : services_(services),
      status_(std::move(status)),
      webhooks_(services_),
      resumes_(services_),
      edge_(
          edgeSettings(services.settings),
          [this](const Request& request, Response& response) { route(request, response); },
          edgeMetrics, [this](const Request& request) { return runsOnLoop(request); }) {}

WebhookServer::~WebhookServer() {
    stop();
}

void WebhookServer::start() {
    edge_.start();
}

void WebhookServer::stop() {
    edge_.stop();
}

int WebhookServer::port() const {
    return edge_.port();
}

// The edge's loop thread handles the webhooks that cannot block (most async ones: their
// 202 comes from the queue's commit, not from a waiting thread). The rest, and resumes
// and /health, which are rare, go to the handler threads.
bool WebhookServer::runsOnLoop(const Request& request) const {
    return request.path().starts_with("/hook/") && webhooks_.cannotBlock(request);
}

void WebhookServer::route(const Request& request, Response& response) {
    const std::string_view path = request.path();
    if (path.starts_with("/hook/")) return webhooks_.handle(request, response);
    if (flow::isResumePath(path)) return resumes_.handle(request, response);
    if (request.method == "GET" && request.target == "/health") {
        if (status_.healthy()) return sendJson(response, 200, {{"status", "ok"}});
        response.set("Retry-After", "5");
        return sendJson(response, 503, {{"status", "unavailable"}});
    }
    sendError(response, 404, "not_found", "no such endpoint");
}

}  // namespace flowgate::http
