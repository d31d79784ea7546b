#include "http/webhook_server.hpp"

#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerConnection.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include "http/json_response.hpp"
#include "http/resume_handler.hpp"

#include <thread>

namespace flowgate::http {

using Poco::Net::HTTPRequestHandler;
using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

namespace {

class HealthHandler final : public HTTPRequestHandler {
public:
    explicit HealthHandler(const StatusEndpoints& status) : status_(status) {}
    void handleRequest(HTTPServerRequest&, HTTPServerResponse& response) override {
        sendJson(response, HTTPResponse::HTTP_OK, status_.health());
    }

private:
    const StatusEndpoints& status_;
};

class MetricsHandler final : public HTTPRequestHandler {
public:
    explicit MetricsHandler(const StatusEndpoints& status) : status_(status) {}
    void handleRequest(HTTPServerRequest&, HTTPServerResponse& response) override {
        const std::string text = status_.metrics();
        response.setStatusAndReason(HTTPResponse::HTTP_OK);
        response.setContentType("text/plain; version=0.0.4");
        response.setContentLength(static_cast<std::streamsize>(text.size()));
        response.sendBuffer(text.data(), text.size());
    }

private:
    const StatusEndpoints& status_;
};

class NotFoundHandler final : public HTTPRequestHandler {
public:
    void handleRequest(HTTPServerRequest& request, HTTPServerResponse& response) override {
        if (request.hasContentLength() ? request.getContentLength64() > 0
                                       : request.getChunkedTransferEncoding())
            response.setKeepAlive(false);
        sendError(response, HTTPResponse::HTTP_NOT_FOUND, "not_found", "no such endpoint");
    }
};

class Router final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    Router(WebhookServices& services, const StatusEndpoints& status)
        : services_(services), status_(status) {}

    HTTPRequestHandler* createRequestHandler(const HTTPServerRequest& request) override {
        const std::string& uri = request.getURI();
        if (uri.rfind("/hook/", 0) == 0) return new WebhookHandler(services_);
        if (uri.rfind("/resume/", 0) == 0) return new ResumeHandler(services_);
        if (request.getMethod() == "GET") {
            if (uri == "/health") return new HealthHandler(status_);
            if (uri == "/metrics") return new MetricsHandler(status_);
        }
        return new NotFoundHandler;
    }

private:
    WebhookServices& services_;
    const StatusEndpoints& status_;
};

// Serves one connection with Poco's HTTP/1.1 logic, under the watchdog's deadline.
class GuardedConnection final : public Poco::Net::TCPServerConnection {
public:
    GuardedConnection(const Poco::Net::StreamSocket& socket, Poco::Net::HTTPServerParams::Ptr params,
                      Poco::Net::HTTPRequestHandlerFactory::Ptr factory, ConnectionWatchdog& watchdog)
        : TCPServerConnection(socket), params_(std::move(params)), factory_(std::move(factory)),
          watchdog_(watchdog) {}

    void run() override {
        ConnectionWatchdog::Guard guard(watchdog_, socket());
        Poco::Net::HTTPServerConnection http(socket(), params_, factory_);
        http.run();
    }

private:
    Poco::Net::HTTPServerParams::Ptr params_;
    Poco::Net::HTTPRequestHandlerFactory::Ptr factory_;
    ConnectionWatchdog& watchdog_;
};

class GuardedConnectionFactory final : public Poco::Net::TCPServerConnectionFactory {
public:
    GuardedConnectionFactory(Poco::Net::HTTPServerParams::Ptr params,
                             Poco::Net::HTTPRequestHandlerFactory::Ptr factory,
                             ConnectionWatchdog& watchdog)
        : params_(std::move(params)), factory_(std::move(factory)), watchdog_(watchdog) {}

    Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override {
        return new GuardedConnection(socket, params_, factory_, watchdog_);
    }

private:
    Poco::Net::HTTPServerParams::Ptr params_;
    Poco::Net::HTTPRequestHandlerFactory::Ptr factory_;
    ConnectionWatchdog& watchdog_;
};

// How long a stop waits for requests in progress (a sync flow's caller, a commit).
constexpr std::chrono::seconds kStopGrace{10};

}  // namespace

WebhookServer::WebhookServer(WebhookServices services, StatusEndpoints status)
    : services_(services), status_(std::move(status)),
      pool_(2, services.settings.threads, 60, 256 * 1024),
      watchdog_(services.settings.requestTimeout) {
    const auto& settings = services_.settings;
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress(settings.host, settings.port),
                                   settings.maxQueuedConnections);
    Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
    params->setMaxThreads(settings.threads);
    params->setMaxQueued(settings.maxQueuedConnections);
    params->setKeepAlive(true);
    params->setMaxKeepAliveRequests(0);  // unlimited
    params->setKeepAliveTimeout(Poco::Timespan(settings.keepAliveTimeout.count() * 1000));
    params->setTimeout(Poco::Timespan(settings.receiveTimeout.count() * 1000));
    Poco::Net::HTTPRequestHandlerFactory::Ptr router = new Router(services_, status_);
    server_ = std::make_unique<Poco::Net::TCPServer>(
        new GuardedConnectionFactory(params, router, watchdog_), pool_, socket, params);
}

WebhookServer::~WebhookServer() { stop(); }

void WebhookServer::start() { server_->start(); }

void WebhookServer::stop() {
    if (stopped_) return;
    stopped_ = true;
    server_->stop();  // no new connections
    const auto deadline = std::chrono::steady_clock::now() + kStopGrace;
    while (watchdog_.abort(/*includeBusy=*/false) > 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    watchdog_.abort(/*includeBusy=*/true);
    pool_.joinAll();
}

int WebhookServer::port() const { return server_->port(); }

}  // namespace flowgate::http
