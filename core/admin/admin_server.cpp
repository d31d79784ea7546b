#include "admin/admin_server.hpp"

#include <stdexcept>

#include "admin/ui_server.hpp"

#include "flowgate/common/hmac.hpp"
#include "flowgate/common/secret_bytes.hpp"
#include "http/json_response.hpp"

namespace flowgate::admin {

namespace {

// Tokens of any length become one digest length before a constant-time comparison.
std::string tokenDigest(std::string_view token) {
    auto digest = common::sha256(token);
    if (!digest) throw std::runtime_error("OpenSSL cannot compute SHA-256");
    return std::move(*digest);
}

http::EdgeSettings adminEdge(const config::AdminSettings& settings) {
    http::EdgeSettings edge;
    edge.host = settings.host;
    edge.port = settings.port;
    // An operator's tools, not the internet: a few handlers and small requests.
    edge.handlerThreads = 4;
    edge.maxQueuedRequests = 64;
    edge.maxConnections = 256;
    edge.maxConnectionsPerAddress = 256;
    edge.limits.maxBodyBytes = 64 * 1024;
    return edge;
}

}  // namespace

AdminServer::AdminServer(const config::AdminSettings& settings, std::string token,
                         AdminProbes probes, http::EdgeMetrics& metrics)
    : tokenDigest_(tokenDigest(token)),
      probes_(std::move(probes)),
      edge_(
          adminEdge(settings),
          [this](const http::Request& request, http::Response& response) {
              route(request, response);
          },
          metrics) {}

AdminServer::~AdminServer() {
    stop();
}

void AdminServer::start() {
    edge_.start();
}

void AdminServer::stop() {
    edge_.stop();
}

int AdminServer::port() const {
    return edge_.port();
}

// Digests of equal length compared in constant time: neither the token's bytes nor its
// length leak through timing.
bool AdminServer::authorized(const http::Request& request) const {
    const std::string header = request.header("authorization");
    constexpr std::string_view scheme = "Bearer ";
    if (header.size() <= scheme.size() || header.compare(0, scheme.size(), scheme) != 0)
        return false;
    const auto presented = common::sha256(std::string_view(header).substr(scheme.size()));
    return presented && common::constantTimeEqual(*presented, tokenDigest_);
}

void AdminServer::route(const http::Request& request, http::Response& response) const {
    const std::string_view path = request.path();
    if (path == "/livez" || path == "/readyz" || path == "/metrics") {
        if (request.method != "GET" && request.method != "HEAD") {
            response.set("Allow", "GET");
            return http::sendError(response, 405, "method_not_allowed", "this endpoint takes GET");
        }
        if (path == "/livez") return http::sendJson(response, 200, {{"status", "ok"}});
        if (path == "/readyz") {
            auto [ready, details] = probes_.readiness();
            return http::sendJson(response, ready ? 200 : 503, details);
        }
        response.status = 200;
        response.set("Content-Type", "text/plain; version=0.0.4");
        response.body = probes_.metrics();
        return;
    }
    if (path == "/api" || path.starts_with("/api/")) {
        if (!authorized(request)) {
            response.set("WWW-Authenticate", "Bearer");
            return http::sendError(response, 401, "unauthorized",
                                   "the admin API needs 'Authorization: Bearer <token>' with "
                                   "the engine's admin token");
        }
        const AdminApi* api = api_.load();
        if (!api) {
            response.set("Retry-After", "1");
            return http::sendError(response, 503, "unavailable", "the engine is starting");
        }
        return api->handle(request, response);
    }
    if (isUiPath(path)) return serveUi(request, response);
    http::sendError(response, 404, "not_found", "no such endpoint");
}

}  // namespace flowgate::admin
