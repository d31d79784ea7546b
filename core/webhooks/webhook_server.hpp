// The Webhooks Service: the edge (http/edge_server.hpp) with the routes of the engine.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "http/edge_server.hpp"
#include "webhooks/resume_handler.hpp"
#include "webhooks/webhook_handler.hpp"

namespace flowgate::http {

// What the public port tells a load balancer: GET /health is {"status":"ok"} or 503
// {"status":"unavailable"}, nothing more (details and metrics are on the admin port).
struct StatusEndpoints {
    std::function<bool()> healthy;
};

// The edge's settings from engine.json's "http" object.
EdgeSettings edgeSettings(const config::HttpSettings& settings);

class WebhookServer {
public:
    // Binds at once (so the port is known and a taken port fails here), serves after
    // start(). The referenced services must outlive the server.
    WebhookServer(WebhookServices services, StatusEndpoints status, EdgeMetrics& edgeMetrics);
    ~WebhookServer();

    void start();
    // Stops accepting, closes idle connections, lets requests in progress finish (up to
    // a grace period) and joins every thread.
    void stop();

    int port() const;
    bool secure() const { return edge_.secure(); }  // HTTPS
    // SIGHUP: see EdgeServer::reloadCertificate.
    void reloadCertificate() { edge_.reloadCertificate(); }

private:
    void route(const Request& request, Response& response);
    bool runsOnLoop(const Request& request) const;

    WebhookServices services_;
    StatusEndpoints status_;
    WebhookHandler webhooks_;
    ResumeHandler resumes_;
    EdgeServer edge_;
};

}  // namespace flowgate::http
