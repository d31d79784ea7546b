// /hook/{flowId}[/more/path]: check the caller, decode, store durably, answer.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "attachments/attachment_store.hpp"
#include "auth/verifier.hpp"
#include "config/engine_config.hpp"
#include "flow/flow.hpp"
#include "flow/flow_catalog.hpp"
#include "flowgate/message.hpp"
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
    // Whether handle() returns without waiting for anything and after bounded work, so
    // the edge may run it on its loop thread (EdgeServer::LoopPolicy): not for a sync flow
    // (waits for the reply), a delivery id (its dedupe check waits for its commit), a body
    // that may become attachment files (disk writes), or a body over kLoopBodyBytes
    // (decoding and checking its credential take time in proportion). Cheap; never blocks.
    bool cannotBlock(const Request& request) const;
    static constexpr std::size_t kLoopBodyBytes = 16 * 1024;

private:
    // The answer; response.flow names the configured flow the path reached, if any.
    void respond(const Request& request, Response& response);

    // The stages of respond(), in order. A stage that answers the caller returns false
    // (nullptr); the request ends there.
    // The enabled flow the path names (and the path after its id), or 400/404.
    std::shared_ptr<const flow::Flow> findFlow(const Request& request, Response& response,
                                               std::string& suffix);
    // The flow's policies before the caller's credential: CORS (and the preflight), the
    // IP allow list, the rate limit, HEAD and the allowed methods.
    bool admit(const Request& request, Response& response, const flow::Flow& flow);
    // The trigger's credential check over the raw bytes (401, or 500 when it cannot be
    // checked); the query parameters that carried the credential are dropped from `query`.
    bool authenticate(const Request& request, Response& response, const flow::Flow& flow,
                      const auth::HeaderMap& headers, std::string_view raw,
                      nlohmann::json& query);
    // The message's body and attachments from the request body (or a GET's query); a body
    // that cannot be decoded is answered with its reason.
    bool decodeInto(const Request& request, Response& response, const flow::Flow& flow,
                    std::string_view raw, bool rawJson, const nlohmann::json& query,
                    Message& message);
    // The message as stored (webhooks/stored_message.hpp): its id, body (`rawBody`, the
    // caller's valid JSON bytes, else message.body) and attachments, the headers it keeps
    // and its meta.
    std::string messageText(const Request& request, const flow::Flow& flow,
                            const auth::HeaderMap& headers, const std::string& suffix,
                            const nlohmann::json& query, const Message& message,
                            std::optional<std::string_view> rawBody) const;
    // Stores the message (`text`, of `message`) durably and answers: 202 from the queue's
    // commit, 200 for a duplicate delivery, a sync flow's reply (or 504), 503/500 when it
    // was not stored.
    void store(const Request& request, Response& response, const flow::Flow& flow,
               const auth::HeaderMap& headers, const Message& message, std::string text);
    // A client error: counted, answered with its code and reason.
    void refuse(Response& response, int status, const std::string& code,
                const std::string& message);

    WebhookServices& services_;
};

}  // namespace flowgate::http
