// /hook/{flowId}[/more/path]: check the caller, decode, store durably, answer.
#pragma once

#include "attachments/attachment_store.hpp"
#include "config/engine_config.hpp"
#include "flow/flow_catalog.hpp"
#include "http/http_message.hpp"
#include "webhooks/http_metrics.hpp"
#include "webhooks/rate_limiter.hpp"
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

// Stateless; all state lives in WebhookServices. handle() is called on the edge's handler
// threads, many at once, with complete requests only. An async flow's 202 is deferred to
// the queue's commit (Response::defer); a delivery id (dedupe) or a sync flow's reply
// blocks the thread.
class WebhookHandler {
public:
    explicit WebhookHandler(WebhookServices& services) : services_(services) {}
    void handle(const Request& request, Response& response);

private:
    // The answer; response.flow names the configured flow the path reached, if any.
    void respond(const Request& request, Response& response);

    WebhookServices& services_;
};

}  // namespace flowgate::http
