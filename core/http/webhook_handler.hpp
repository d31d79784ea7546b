// /hook/{flowId}[/more/path]: check the caller, decode, store durably, answer.
#pragma once

#include <Poco/Net/HTTPRequestHandler.h>

#include "attachments/attachment_store.hpp"
#include "config/engine_config.hpp"
#include "flow/flow_catalog.hpp"
#include "http/http_metrics.hpp"
#include "http/rate_limiter.hpp"
#include "queue/queue.hpp"
#include "reply/reply_channel.hpp"

namespace flowgate::http {

// What every webhook request needs; owned by the server, shared by all handler objects.
struct WebhookServices {
    const flow::FlowCatalog& flows;
    queue::Queue& queue;
    attachments::AttachmentStore& attachments;
    reply::ReplyChannel& replies;
    RateLimiter& rateLimiter;
    const config::HttpSettings& settings;
    HttpMetrics& metrics;
    // How callers reach the engine ("https://hooks.example.com"); signatures over the URL
    // (Twilio) need it behind a proxy. Empty: "http://" + the request's Host header.
    std::string publicBaseUrl;
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
