// The Webhooks Service: a Poco HTTP server with its own thread pool.
//
// Poco serves each keep-alive connection on one pool thread for the connection's whole
// life, so the pool is sized from the config (not Poco's default 16) and idle
// keep-alive connections are closed after a short timeout (see PLATFORM.md).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <Poco/Net/HTTPServer.h>
#include <Poco/ThreadPool.h>
#include <nlohmann/json.hpp>

#include "http/webhook_handler.hpp"

namespace flowgate::http {

// Operational endpoints, answered from what the engine wires in.
struct StatusEndpoints {
    std::function<nlohmann::json()> health;   // GET /health
    std::function<std::string()> metrics;     // GET /metrics, Prometheus text format
};

class WebhookServer {
public:
    // Binds at once (so the port is known and a taken port fails here), serves after
    // start(). The referenced services must outlive the server.
    WebhookServer(WebhookServices services, StatusEndpoints status);
    ~WebhookServer();

    void start();
    // Stops accepting, closes idle connections and waits for requests in progress.
    void stop();

    int port() const;

private:
    WebhookServices services_;
    StatusEndpoints status_;
    Poco::ThreadPool pool_;
    std::unique_ptr<Poco::Net::HTTPServer> server_;
    bool stopped_ = false;
};

}  // namespace flowgate::http
