#include "webhooks/webhook_handler.hpp"

#include <algorithm>
#include <cctype>

#include <Poco/Logger.h>

#include "auth/verifier.hpp"
#include "flowgate/message.hpp"
#include "webhooks/body_decoder.hpp"
#include "webhooks/cors.hpp"
#include "webhooks/json_validator.hpp"
#include "webhooks/received_at.hpp"
#include "webhooks/stored_message.hpp"
#include "http/json_response.hpp"
#include "http/request_headers.hpp"
#include "http/request_id.hpp"
#include "log/log_fields.hpp"
#include "text/percent_decoding.hpp"

namespace flowgate::http {

using nlohmann::json;

namespace {

struct HookPath {
    std::string flowId;
    std::string suffix;  // "" or "/more/path"
};

// "/hook/{flowId}[/suffix]" with the flow id percent-decoded and the suffix as sent;
// nullopt otherwise. `malformed` is set when an escape in the flow id is not %XX.
std::optional<HookPath> parseHookPath(std::string_view path, bool& malformed) {
    static constexpr std::string_view prefix = "/hook/";
    malformed = false;
    if (path.substr(0, prefix.size()) != prefix) return std::nullopt;
    const std::size_t end = path.find('/', prefix.size());
    auto flowId = text::percentDecode(path.substr(prefix.size(), end - prefix.size()), false);
    if (!flowId) {
        malformed = true;
        return std::nullopt;
    }
    if (flowId->empty()) return std::nullopt;
    HookPath hook{std::move(*flowId), {}};
    if (end != std::string_view::npos) hook.suffix = std::string(path.substr(end));
    return hook;
}

// Flow ids are letters, digits, '-' and '_' (flow/flow_loader); anything else names no flow.
bool isFlowId(const std::string& id) {
    return std::all_of(id.begin(), id.end(),
                       [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; });
}

// The headers a message keeps: not the caller's credentials (steps and loggers must
// never see them), nor a signature that would let a reader replay the request. In the
// map's (ascending) order.
std::vector<std::pair<std::string_view, std::string_view>> storedHeaders(
    const auth::HeaderMap& headers, const auth::SecretFields& secrets) {
    std::vector<std::pair<std::string_view, std::string_view>> stored;
    stored.reserve(headers.size());
    for (const auto& [name, value] : headers) {
        if (isCredentialHeader(name)) continue;
        if (std::find(secrets.headers.begin(), secrets.headers.end(), name) !=
            secrets.headers.end())
            continue;
        stored.emplace_back(name, value);
    }
    return stored;
}

// The delivery id a provider sends to name one delivery, as a queue de-duplication key.
std::optional<std::string> dedupeKey(const flow::Flow& flow, const auth::HeaderMap& headers) {
    if (flow.trigger.dedupeWindow.count() == 0) return std::nullopt;
    for (const auto& name : flow.trigger.dedupeHeaders) {
        auto it = headers.find(name);
        if (it != headers.end() && !it->second.empty())
            return flow.id + "\n" + name + "\n" + it->second;
    }
    return std::nullopt;
}

bool allows(const std::vector<std::string>& methods, const std::string& method) {
    return std::find(methods.begin(), methods.end(), method) != methods.end();
}

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
    return out;
}

// Replaces "{{requestId}}" in every string of a configured answer.
json withRequestId(json value, const std::string& requestId) {
    if (value.is_string()) {
        std::string text = value;
        for (std::size_t at; (at = text.find("{{requestId}}")) != std::string::npos;)
            text.replace(at, 13, requestId);
        return text;
    }
    if (value.is_structured())
        for (auto& child : value) child = withRequestId(std::move(child), requestId);
    return value;
}

void sendAccepted(Response& response, const flow::Flow& flow, const std::string& requestId) {
    const auto& accepted = flow.trigger.accepted;
    const int status = accepted.status;
    for (const auto& [name, value] : accepted.headers) response.set(name, value);
    if (accepted.body.is_null()) {
        // Every accepted request's answer: written directly, the same bytes as sendJson of
        // {"requestId", "message"}. Flow ids need no escaping (isFlowId).
        response.status = status;
        response.set("Content-Type", "application/json");
        std::string& body = response.body;
        body.assign(R"({"message":"accepted for flow ')");
        body += flow.id;
        body += R"('","requestId":)";
        appendJsonString(body, requestId);
        body += '}';
        return;
    }
    const json body = withRequestId(accepted.body, requestId);
    if (!body.is_string()) return sendJson(response, status, body);
    response.status = status;
    if (!response.has("Content-Type")) response.set("Content-Type", "text/plain; charset=utf-8");
    response.body = body.get<std::string>();
}

// How the caller reached us: the configured public URL, else the request's Host header.
std::string baseUrl(const std::string& publicBaseUrl, const Request& request) {
    return publicBaseUrl.empty() ? request.scheme() + request.header("host") : publicBaseUrl;
}

void sendReply(Response& response, const HttpReply& reply) {
    for (const auto& [name, value] : reply.headers) response.set(name, value);
    response.status = reply.status;
    response.body = reply.body;
}

void dropAttachments(attachments::AttachmentStore& store, const std::string& flowId,
                     const std::string& requestId) {
    try {
        store.removeExecution(requestId);
    } catch (const std::exception& e) {
        Poco::Logger::get("flowgate.http")
            .error("flow %s: cannot remove attachments of %s: %s", flowId, requestId,
                   std::string(e.what()));
    }
}

// The answer when the message was not stored (`error` from the queue): 503 when the store
// refused it (full, disk alarm, I/O), 500 for anything else; its attachments are removed.
void answerUnstored(Response& response, std::exception_ptr error, HttpMetrics& metrics,
                    attachments::AttachmentStore& attachments, const std::string& flowId,
                    const std::string& requestId, bool hasAttachments) {
    auto& log = Poco::Logger::get("flowgate.http");
    if (hasAttachments) dropAttachments(attachments, flowId, requestId);
    try {
        std::rethrow_exception(error);
    } catch (const queue::QueueUnavailable& e) {
        ++metrics.unavailable;
        log.warning("flow %s: request not stored: %s", flowId, std::string(e.what()));
        response.set("Retry-After", "5");
        sendError(response, 503, "unavailable",
                  "the message could not be stored; nothing was kept, try again later");
    } catch (const std::exception& e) {
        log.error("flow %s: request %s not stored: %s", flowId, requestId, std::string(e.what()));
        sendJson(response, 500,
                 {{"error", "internal_error"},
                  {"message", "the message could not be stored; nothing was kept"},
                  {"requestId", requestId}});
    } catch (...) {
        log.error("flow %s: request %s not stored: unknown error", flowId, requestId);
        sendJson(response, 500,
                 {{"error", "internal_error"},
                  {"message", "the message could not be stored; nothing was kept"},
                  {"requestId", requestId}});
    }
}

}  // namespace

bool WebhookHandler::cannotBlock(const Request& request) const {
    bool malformedPath = false;
    const auto hook = parseHookPath(request.path(), malformedPath);
    if (!hook || !isFlowId(hook->flowId)) return true;  // answered 400/404 at once
    const auto flow = services_.flows.findEnabled(hook->flowId);
    if (!flow) return true;
    const auto& trigger = flow->trigger;
    if (trigger.responseMode == "sync") return false;
    // A delivery id makes a dedupe check (dedupeKey), which waits for its commit.
    if (trigger.dedupeWindow.count() != 0)
        for (const auto& name : trigger.dedupeHeaders)
            if (request.hasHeader(name)) return false;
    if (request.method == "GET") return true;  // its body is ignored
    return request.body.size() <= kLoopBodyBytes &&
           !mayStoreAttachments(request.header("content-type"), request.body);
}

void WebhookHandler::handle(const Request& request, Response& response) {
    respond(request, response);
    // A deferred answer is counted by whoever sends it.
    if (!response.deferred()) services_.metrics.requests.answered(response.flow, response.status);
}

// The stages in order; each one that answers the caller ends the request.
void WebhookHandler::respond(const Request& request, Response& response) {
    std::string suffix;
    const auto flow = findFlow(request, response, suffix);
    if (!flow) return;
    response.flow = flow->id;
    if (!admit(request, response, *flow)) return;

    json query;
    if (!parseFormEncoded(request.query(), query))
        return refuse(response, 400, "malformed_query",
                      "the query string has an invalid percent-escape or is not UTF-8");

    const bool isGet = request.method == "GET";
    // The edge read the whole body within maxBodyBytes; a GET's body is ignored.
    const std::string_view raw = isGet ? std::string_view() : std::string_view(request.body);
    const auth::HeaderMap headers = lowerCaseHeaders(request);
    if (!authenticate(request, response, *flow, headers, raw, query)) return;

    Message message;
    message.id = request.id;
    // A valid JSON body is stored as the caller's bytes, spliced into the message text:
    // no tree is built and serialised again (issue 9: parse + dump of each body).
    // The edge's body buffer keeps spare capacity, which lets simdjson check it in place.
    const auto contentType = headers.find("content-type");
    const bool rawJson =
        !isGet && contentType != headers.end() &&
        isValidJsonBody(contentType->second, raw, request.body.capacity() - request.body.size());
    if (!decodeInto(request, response, *flow, raw, rawJson, query, message)) return;
    std::string text = messageText(request, *flow, headers, suffix, query, message,
                                   rawJson ? std::optional(withoutUtf8Bom(raw)) : std::nullopt);
    store(request, response, *flow, headers, message, std::move(text));
}

void WebhookHandler::refuse(Response& response, int status, const std::string& code,
                            const std::string& message) {
    ++services_.metrics.clientErrors;
    sendError(response, status, code, message);
}

std::shared_ptr<const flow::Flow> WebhookHandler::findFlow(const Request& request,
                                                           Response& response,
                                                           std::string& suffix) {
    bool malformedPath = false;
    const auto hook = parseHookPath(request.path(), malformedPath);
    if (malformedPath) {
        refuse(response, 400, "malformed_path", "the flow id has an invalid percent-escape");
        return nullptr;
    }
    if (!hook) {
        refuse(response, 404, "not_found", "no such endpoint");
        return nullptr;
    }
    // Unknown and disabled flows look the same to callers.
    auto flow = isFlowId(hook->flowId) ? services_.flows.findEnabled(hook->flowId) : nullptr;
    if (!flow) {
        refuse(response, 404, "flow_not_found",
               isFlowId(hook->flowId) ? "no flow '" + hook->flowId + "'"
                                      : std::string("no such flow"));
        return nullptr;
    }
    suffix = hook->suffix;
    return flow;
}

bool WebhookHandler::admit(const Request& request, Response& response, const flow::Flow& flow) {
    static Poco::Logger& log = Poco::Logger::get("flowgate.http");
    const std::string& method = request.method;
    const auto& trigger = flow.trigger;

    const std::string origin = allowedOrigin(request, trigger.corsOrigins);
    if (method == "OPTIONS") {
        answerPreflight(request, response, origin, trigger.methods);
        return false;
    }
    addCorsHeaders(response, origin);

    if (!trigger.allowIps.empty()) {
        const auto& client = request.clientAddress;
        const bool allowed =
            std::any_of(trigger.allowIps.begin(), trigger.allowIps.end(),
                        [&](const common::AddressRange& r) { return r.contains(client); });
        if (!allowed) {
            flowgate::log::logWith(log, Poco::Message::PRIO_WARNING,
                                   "flow " + flow.id + ": refused " + client.toString() +
                                       ": not in the flow's IP allow list",
                                   {flow.id, {}, request.id, 0});
            refuse(response, 403, "ip_not_allowed", "this address may not call the webhook");
            return false;
        }
    }
    if (trigger.rateLimit) {
        if (const long long wait = services_.rateLimiter.acquire(flow.id, *trigger.rateLimit)) {
            response.set("Retry-After", std::to_string(wait));
            refuse(response, 429, "rate_limited",
                   "too many requests for this flow; retry in " + std::to_string(wait) + " s");
            return false;
        }
    }

    if (method == "HEAD") {
        response.status = 200;
        return false;
    }
    if (!allows(trigger.methods, method)) {
        response.set("Allow", "HEAD, OPTIONS, " + joined(trigger.methods));
        refuse(response, 405, "method_not_allowed",
               "method " + method + " is not accepted by this webhook");
        return false;
    }
    return true;
}

bool WebhookHandler::authenticate(const Request& request, Response& response,
                                  const flow::Flow& flow, const auth::HeaderMap& headers,
                                  std::string_view raw, json& query) {
    static Poco::Logger& log = Poco::Logger::get("flowgate.http");
    const auto& trigger = flow.trigger;
    if (!trigger.verifier) return true;
    // Checked over the raw bytes, before anything is parsed or stored.
    const std::string url = baseUrl(services_.publicBaseUrl, request) + request.target;
    const auth::Verdict verdict = trigger.verifier->verify({request.method, url, headers, raw},
                                                           std::chrono::system_clock::now());
    if (!verdict.accepted) {
        flowgate::log::logWith(log, Poco::Message::PRIO_WARNING,
                               "flow " + flow.id + ": refused call from " +
                                   request.clientAddress.toString() + ": " + verdict.reason,
                               {flow.id, {}, request.id, 0});
        for (const auto& [name, value] : verdict.responseHeaders) response.set(name, value);
        if (verdict.failure == auth::Verdict::Failure::internalError) {
            sendError(response, 500, "internal_error", "the credential could not be checked");
            return false;
        }
        ++services_.metrics.clientErrors;
        sendError(response, 401, "unauthorized", verdict.reason);
        return false;
    }
    for (const auto& name : trigger.secretFields.queryParameters) query.erase(name);
    return true;
}

bool WebhookHandler::decodeInto(const Request& request, Response& response,
                                const flow::Flow& flow, std::string_view raw, bool rawJson,
                                const json& query, Message& message) {
    static Poco::Logger& log = Poco::Logger::get("flowgate.http");
    if (request.method == "GET") {
        message.body = query;  // a GET's parameters are its payload
        return true;
    }
    if (rawJson) {
        message.body = nullptr;  // the raw body takes its place in the stored text
        return true;
    }
    auto decoded = decodeBody(request.header("content-type"),
                              request.header("content-disposition"), raw, message.id,
                              &services_.attachments,
                              DecodeLimits::forBodyLimit(services_.settings.maxBodyBytes,
                                                         flow.trigger.maxAttachmentBytes));
    if (auto* error = std::get_if<DecodeError>(&decoded)) {
        json answer = {{"error", error->code}, {"message", error->message}};
        if (error->line > 0) answer["line"] = error->line;
        if (error->column > 0) answer["column"] = error->column;
        if (error->status == 503) {  // our storage failed, not the caller
            ++services_.metrics.unavailable;
            log.error("flow %s: attachment not stored: %s", flow.id, error->detail);
            response.set("Retry-After", "5");
        } else {
            ++services_.metrics.clientErrors;
        }
        sendJson(response, error->status, answer);
        return false;
    }
    auto& body = std::get<DecodedBody>(decoded);
    message.body = std::move(body.body);
    message.attachments = std::move(body.attachments);
    return true;
}

std::string WebhookHandler::messageText(const Request& request, const flow::Flow& flow,
                                        const auth::HeaderMap& headers,
                                        const std::string& suffix, const json& query,
                                        const Message& message,
                                        std::optional<std::string_view> rawBody) const {
    const std::string receivedAt = receivedAtText();
    const std::string resume =
        flow.resumable ? resumeUrl(services_.publicBaseUrl, request, message.id) : std::string();
    WebhookMessage parts;
    parts.id = message.id;
    parts.rawBody = rawBody;
    parts.body = &message.body;
    parts.attachments = &message.attachments;
    parts.headers = storedHeaders(headers, flow.trigger.secretFields);
    parts.flow = flow.id;
    parts.receivedAt = receivedAt;
    parts.method = request.method;
    parts.path = suffix;
    parts.query = &query;
    parts.resumeUrl = resume;
    return storedMessageText(parts);
}

void WebhookHandler::store(const Request& request, Response& response, const flow::Flow& flow,
                           const auth::HeaderMap& headers, const Message& message,
                           std::string text) {
    const auto& trigger = flow.trigger;
    const bool sync = trigger.responseMode == "sync";
    const auto key = dedupeKey(flow, headers);
    std::vector<queue::NewWorkItem> items = {
        {flow.id, message.id, flow.steps.front().id, std::move(text)}};
    const bool hasAttachments = !message.attachments.empty();
    if (!sync && !key) {
        // The common case: answered from the queue's commit, with no thread parked on it
        // (one wake-up per committed batch instead of one per request).
        Response accepted = response;  // the CORS fields so far
        sendAccepted(accepted, flow, message.id);
        Response refused = response;
        services_.queue.enqueueAsync(
            std::move(items),
            [sender = response.defer(), accepted = std::move(accepted),
             refused = std::move(refused), &metrics = services_.metrics,
             &attachments = services_.attachments, flowId = flow.id, requestId = message.id,
             hasAttachments, receivedAt = request.receivedAt](std::exception_ptr error) mutable {
                if (!error) {
                    ++metrics.accepted;
                    metrics.requests.accepted(std::chrono::steady_clock::now() - receivedAt);
                    metrics.requests.answered(flowId, accepted.status);
                    return sender->send(std::move(accepted));
                }
                answerUnstored(refused, error, metrics, attachments, flowId, requestId,
                               hasAttachments);
                metrics.requests.answered(flowId, refused.status);
                sender->send(std::move(refused));
            });
        return;
    }

    // Registered before the message is stored, so a fast reply cannot be missed.
    auto waiter = sync ? services_.replies.expect(message.id) : nullptr;
    const auto waitUntil = std::chrono::steady_clock::now() + trigger.syncTimeout;
    std::optional<std::string> firstRequestId;
    try {
        if (key)
            firstRequestId = services_.queue.enqueueOnce(
                *key, std::chrono::duration_cast<std::chrono::milliseconds>(trigger.dedupeWindow),
                message.id, std::move(items));
        else
            services_.queue.enqueue(std::move(items));
    } catch (const queue::QueueUnavailable&) {
        return answerUnstored(response, std::current_exception(), services_.metrics,
                              services_.attachments, flow.id, message.id, hasAttachments);
    }
    if (firstRequestId) {
        if (hasAttachments) dropAttachments(services_.attachments, flow.id, message.id);
        ++services_.metrics.duplicates;
        return sendJson(response, 200,
                        {{"requestId", *firstRequestId},
                         {"message", "duplicate delivery: already accepted, not queued again"}});
    }
    ++services_.metrics.accepted;
    services_.metrics.requests.accepted(std::chrono::steady_clock::now() - request.receivedAt);
    if (!sync) return sendAccepted(response, flow, message.id);

    if (auto reply = waiter->wait(waitUntil)) return sendReply(response, *reply);
    response.set("X-Request-Id", message.id);
    sendError(response, 504, "timeout",
              "the flow did not reply within " + std::to_string(trigger.syncTimeout.count()) +
                  " ms; request " + message.id + " is still being processed");
}

}  // namespace flowgate::http
