// The Webhooks Service: Poco's HTTP connections on a TCP server with its own thread pool.
//
// Poco serves each keep-alive connection on one pool thread for the connection's whole
// life, so the pool is sized from the config (not Poco's default 16), idle keep-alive
// connections are closed after a short timeout (see PLATFORM.md), and every request has
// a deadline (ConnectionWatchdog) so slow clients cannot hold the threads.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <Poco/Net/TCPServer.h>
#include <Poco/ThreadPool.h>
#include <nlohmann/json.hpp>

#include "http/connection_watchdog.hpp"
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
    // Stops accepting, closes idle connections, lets requests in progress finish (up to
    // a grace period) and waits for every connection thread.
    void stop();

    int port() const;

private:
    WebhookServices services_;
    StatusEndpoints status_;
    Poco::ThreadPool pool_;
    ConnectionWatchdog watchdog_;
    std::unique_ptr<Poco::Net::TCPServer> server_;
    bool stopped_ = false;
};

}  // namespace flowgate::http
