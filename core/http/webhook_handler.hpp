// /hook/{flowId}[/more/path]: authenticate (later), decode, store durably, answer.
#pragma once

#include <Poco/Net/HTTPRequestHandler.h>

#include "config/engine_config.hpp"
#include "flow/flow_catalog.hpp"
#include "http/http_metrics.hpp"
#include "queue/queue.hpp"

namespace flowgate::http {

// What every webhook request needs; owned by the server, shared by all handler objects.
struct WebhookServices {
    const flow::FlowCatalog& flows;
    queue::Queue& queue;
    const config::HttpSettings& settings;
    HttpMetrics& metrics;
};

// One object per request (Poco's model); all state lives in WebhookServices.
class WebhookHandler final : public Poco::Net::HTTPRequestHandler {
public:
    explicit WebhookHandler(WebhookServices& services) : services_(services) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override;

private:
    WebhookServices& services_;
};

}  // namespace flowgate::http
