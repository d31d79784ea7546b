#include "http/webhook_handler.hpp"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Logger.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/String.h>
#include <Poco/Timestamp.h>
#include <Poco/URI.h>

#include "auth/verifier.hpp"
#include "flowgate/message.hpp"
#include "http/body_decoder.hpp"
#include "http/connection_watchdog.hpp"
#include "http/cors.hpp"
#include "http/json_response.hpp"
#include "http/request_body.hpp"
#include "http/request_headers.hpp"
#include "http/request_id.hpp"

namespace flowgate::http {

using nlohmann::json;
using Poco::Net::HTTPRequest;
using Poco::Net::HTTPResponse;
using Poco::Net::HTTPServerResponse;

namespace {

struct HookPath {
    std::string flowId;
    std::string suffix;  // "" or "/more/path"
};

// "/hook/{flowId}[/suffix]" with the flow id percent-decoded; nullopt otherwise.
std::optional<HookPath> parseHookPath(const std::string& path) {
    static const std::string prefix = "/hook/";
    if (path.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
    const std::size_t end = path.find('/', prefix.size());
    HookPath hook;
    Poco::URI::decode(path.substr(prefix.size(), end - prefix.size()), hook.flowId);
    if (hook.flowId.empty()) return std::nullopt;
    if (end != std::string::npos) hook.suffix = path.substr(end);
    return hook;
}

// The headers a message keeps: not the caller's credentials (steps and loggers must
// never see them), nor a signature that would let a reader replay the request.
json storedHeaders(const auth::HeaderMap& headers, const auth::SecretFields& secrets) {
    json stored = json::object();
    for (const auto& [name, value] : headers) {
        if (isCredentialHeader(name)) continue;
        if (std::find(secrets.headers.begin(), secrets.headers.end(), name) != secrets.headers.end())
            continue;
        stored[name] = value;
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

void sendAccepted(HTTPServerResponse& response, const flow::Flow& flow, const std::string& requestId) {
    const auto& accepted = flow.trigger.accepted;
    const auto status = static_cast<HTTPResponse::HTTPStatus>(accepted.status);
    for (const auto& [name, value] : accepted.headers) response.set(name, value);
    if (accepted.body.is_null())
        return sendJson(response, status,
                        {{"requestId", requestId}, {"message", "accepted for flow '" + flow.id + "'"}});
    const json body = withRequestId(accepted.body, requestId);
    if (!body.is_string()) return sendJson(response, status, body);
    const std::string text = body;
    response.setStatusAndReason(status);
    if (!response.has("Content-Type")) response.setContentType("text/plain; charset=utf-8");
    response.setContentLength(static_cast<std::streamsize>(text.size()));
    response.sendBuffer(text.data(), text.size());
}

// How the caller reached us: the configured public URL, else the request's Host header.
std::string baseUrl(const std::string& publicBaseUrl, const HTTPRequest& request) {
    return publicBaseUrl.empty() ? "http://" + request.getHost() : publicBaseUrl;
}

void sendReply(HTTPServerResponse& response, const HttpReply& reply) {
    for (const auto& [name, value] : reply.headers) response.set(name, value);
    response.setStatusAndReason(static_cast<HTTPResponse::HTTPStatus>(reply.status));
    response.setContentLength(static_cast<std::streamsize>(reply.body.size()));
    response.sendBuffer(reply.body.data(), reply.body.size());
}

}  // namespace

void WebhookHandler::handleRequest(Poco::Net::HTTPServerRequest& request,
                                   Poco::Net::HTTPServerResponse& response) {
    RestartDeadlineOnExit restartDeadline;
    auto& log = Poco::Logger::get("flowgate.http");
    const std::string& method = request.getMethod();
    Poco::URI uri(request.getURI());
    const auto hook = parseHookPath(uri.getPath());
    RequestBody requestBody(request, response);  // closes the connection unless read
    auto refuse = [&](HTTPResponse::HTTPStatus status, const std::string& code,
                      const std::string& message) {
        ++services_.metrics.clientErrors;
        sendError(response, status, code, message);
    };

    if (!hook) return refuse(HTTPResponse::HTTP_NOT_FOUND, "not_found", "no such endpoint");
    // Unknown and disabled flows look the same to callers.
    auto flow = services_.flows.findEnabled(hook->flowId);
    if (!flow) return refuse(HTTPResponse::HTTP_NOT_FOUND, "flow_not_found",
                             "no flow '" + hook->flowId + "'");
    const auto& trigger = flow->trigger;

    const std::string origin = allowedOrigin(request, trigger.corsOrigins);
    if (method == HTTPRequest::HTTP_OPTIONS) {
        return answerPreflight(request, response, origin, trigger.methods);
    }
    addCorsHeaders(response, origin);

    if (!trigger.allowIps.empty()) {
        const auto client = request.clientAddress().host();
        const bool allowed = std::any_of(trigger.allowIps.begin(), trigger.allowIps.end(),
                                         [&](const flow::IpRange& r) { return r.contains(client); });
        if (!allowed) {
            log.warning("flow %s: refused %s: not in the flow's IP allow list", flow->id,
                        client.toString());
            return refuse(HTTPResponse::HTTP_FORBIDDEN, "ip_not_allowed",
                          "this address may not call the webhook");
        }
    }
    if (trigger.rateLimit) {
        if (const long long wait = services_.rateLimiter.acquire(flow->id, *trigger.rateLimit)) {
            response.set("Retry-After", std::to_string(wait));
            return refuse(HTTPResponse::HTTP_TOO_MANY_REQUESTS, "rate_limited",
                          "too many requests for this flow; retry in " + std::to_string(wait) + " s");
        }
    }

    if (method == HTTPRequest::HTTP_HEAD) {
        response.setStatusAndReason(HTTPResponse::HTTP_OK);
        response.setContentLength(0);
        response.send();
        return;
    }
    if (!allows(trigger.methods, method)) {
        response.set("Allow", "HEAD, OPTIONS, " + joined(trigger.methods));
        return refuse(HTTPResponse::HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
                      "method " + method + " is not accepted by this webhook");
    }

    json query;
    if (!parseFormEncoded(uri.getRawQuery(), query))
        return refuse(HTTPResponse::HTTP_BAD_REQUEST, "malformed_query",
                      "the query string has an invalid percent-escape or is not UTF-8");

    const bool isGet = method == HTTPRequest::HTTP_GET;
    std::string raw;
    if (!isGet) {
        auto read = requestBody.read(services_.settings.maxBodyBytes);
        if (!read) {
            ++services_.metrics.clientErrors;
            return sendError(response, HTTPResponse::HTTP_REQUESTENTITYTOOLARGE, "body_too_large",
                             "request body exceeds " +
                                 std::to_string(services_.settings.maxBodyBytes) + " bytes");
        }
        raw = std::move(*read);
    }
    // The request is in: from here on we wait on the engine, not on the client.
    ConnectionWatchdog::pauseCurrent();
    const auth::HeaderMap headers = lowerCaseHeaders(request);

    // Checked over the raw bytes, before anything is parsed or stored.
    if (trigger.verifier) {
        const std::string url = baseUrl(services_.publicBaseUrl, request) + request.getURI();
        const auth::Verdict verdict = trigger.verifier->verify(
            {method, url, headers, raw}, std::chrono::system_clock::now());
        if (!verdict.accepted) {
            log.warning("flow %s: refused call from %s: %s", flow->id,
                        request.clientAddress().host().toString(), verdict.reason);
            for (const auto& [name, value] : verdict.responseHeaders) response.set(name, value);
            if (verdict.failure == auth::Verdict::Failure::internalError)
                return sendError(response, HTTPResponse::HTTP_INTERNAL_SERVER_ERROR,
                                 "internal_error", "the credential could not be checked");
            ++services_.metrics.clientErrors;
            return sendError(response, HTTPResponse::HTTP_UNAUTHORIZED, "unauthorized",
                             verdict.reason);
        }
        for (const auto& name : trigger.secretFields.queryParameters) query.erase(name);
    }

    Message message;
    message.id = newRequestId();
    if (isGet) {
        message.body = query;  // a GET's parameters are its payload
    } else {
        auto decoded = decodeBody(request.getContentType(), request.get("Content-Disposition", ""),
                                  raw, message.id, &services_.attachments,
                                  DecodeLimits::forBodyLimit(services_.settings.maxBodyBytes,
                                                             trigger.maxAttachmentBytes));
        if (auto* error = std::get_if<DecodeError>(&decoded)) {
            json answer = {{"error", error->code}, {"message", error->message}};
            if (error->line > 0) answer["line"] = error->line;
            if (error->column > 0) answer["column"] = error->column;
            if (error->status == 503) {  // our storage failed, not the caller
                ++services_.metrics.unavailable;
                log.error("flow %s: attachment not stored: %s", flow->id, error->detail);
                response.set("Retry-After", "5");
            } else {
                ++services_.metrics.clientErrors;
            }
            return sendJson(response, static_cast<HTTPResponse::HTTPStatus>(error->status), answer);
        }
        auto& body = std::get<DecodedBody>(decoded);
        message.body = std::move(body.body);
        message.attachments = std::move(body.attachments);
    }
    message.headers = storedHeaders(headers, trigger.secretFields);
    message.meta = {{"flow", flow->id},
                    {"requestId", message.id},
                    {"receivedAt", Poco::DateTimeFormatter::format(
                                       Poco::Timestamp(), Poco::DateTimeFormat::ISO8601_FRAC_FORMAT)},
                    {"method", method},
                    {"path", hook->suffix},
                    {"query", std::move(query)}};
    if (flow->resumable)
        message.meta["resumeUrl"] = resumeUrl(services_.publicBaseUrl, request, message.id);

    const bool sync = trigger.responseMode == "sync";
    // Registered before the message is stored, so a fast reply cannot be missed.
    auto waiter = sync ? services_.replies.expect(message.id) : nullptr;
    const auto waitUntil = std::chrono::steady_clock::now() + trigger.syncTimeout;
    const auto dropAttachments = [&] {
        if (message.attachments.empty()) return;
        try {
            services_.attachments.removeExecution(message.id);
        } catch (const std::exception& e) {
            log.error("flow %s: cannot remove attachments of %s: %s", flow->id, message.id,
                      std::string(e.what()));
        }
    };
    std::optional<std::string> firstRequestId;
    try {
        std::vector<queue::NewWorkItem> items = {
            {flow->id, message.id, flow->steps.front().id, json(message).dump()}};
        if (auto key = dedupeKey(*flow, headers))
            firstRequestId = services_.queue.enqueueOnce(
                *key, std::chrono::duration_cast<std::chrono::milliseconds>(trigger.dedupeWindow),
                message.id, std::move(items));
        else
            services_.queue.enqueue(std::move(items));
    } catch (const queue::QueueUnavailable& e) {
        dropAttachments();
        ++services_.metrics.unavailable;
        log.warning("flow %s: request not stored: %s", flow->id, std::string(e.what()));
        response.set("Retry-After", "5");
        return sendError(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE, "unavailable",
                         "the message could not be stored; nothing was kept, try again later");
    }
    if (firstRequestId) {
        dropAttachments();
        ++services_.metrics.duplicates;
        return sendJson(response, HTTPResponse::HTTP_OK,
                        {{"requestId", *firstRequestId},
                         {"message", "duplicate delivery: already accepted, not queued again"}});
    }
    ++services_.metrics.accepted;
    if (!sync) return sendAccepted(response, *flow, message.id);

    if (auto reply = waiter->wait(waitUntil)) return sendReply(response, *reply);
    response.set("X-Request-Id", message.id);
    sendError(response, HTTPResponse::HTTP_GATEWAY_TIMEOUT, "timeout",
              "the flow did not reply within " + std::to_string(trigger.syncTimeout.count()) +
                  " ms; request " + message.id + " is still being processed");
}

}  // namespace flowgate::http
