#include "http/webhook_handler.hpp"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Logger.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/String.h>
#include <Poco/Timestamp.h>
#include <Poco/URI.h>

#include "flowgate/message.hpp"
#include "http/body_decoder.hpp"
#include "http/json_response.hpp"
#include "http/request_body.hpp"
#include "http/request_id.hpp"

namespace flowgate::http {

using nlohmann::json;
using Poco::Net::HTTPRequest;
using Poco::Net::HTTPResponse;

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

// Headers that carry the caller's credentials are not kept in the message: steps and
// loggers must never see them.
bool isCredentialHeader(const std::string& lowerName) {
    return lowerName == "authorization" || lowerName == "proxy-authorization" ||
           lowerName == "cookie";
}

json lowerCaseHeaders(const HTTPRequest& request) {
    json headers = json::object();
    for (const auto& [name, value] : request) {
        std::string lower = Poco::toLower(name);
        if (isCredentialHeader(lower)) continue;
        auto it = headers.find(lower);
        if (it == headers.end()) headers[lower] = value;
        else *it = it->get<std::string>() + ", " + value;  // RFC 9110 field combination
    }
    return headers;
}

bool methodTakesBody(const std::string& method) {
    return method == HTTPRequest::HTTP_POST || method == HTTPRequest::HTTP_PUT ||
           method == HTTPRequest::HTTP_PATCH;
}

}  // namespace

void WebhookHandler::handleRequest(Poco::Net::HTTPServerRequest& request,
                                   Poco::Net::HTTPServerResponse& response) {
    const std::string& method = request.getMethod();
    Poco::URI uri(request.getURI());
    const auto hook = parseHookPath(uri.getPath());
    const bool hasBody = request.hasContentLength() ? request.getContentLength64() > 0
                                                    : request.getChunkedTransferEncoding();
    // A body we do not read would be taken for the next request on this connection.
    auto refuse = [&](HTTPResponse::HTTPStatus status, const std::string& code,
                      const std::string& message) {
        if (hasBody) response.setKeepAlive(false);
        ++services_.metrics.clientErrors;
        sendError(response, status, code, message);
    };

    if (!hook) return refuse(HTTPResponse::HTTP_NOT_FOUND, "not_found", "no such endpoint");
    auto flow = services_.flows.findEnabled(hook->flowId);
    if (!flow) return refuse(HTTPResponse::HTTP_NOT_FOUND, "flow_not_found",
                             "no flow '" + hook->flowId + "'");

    if (method == HTTPRequest::HTTP_HEAD) {
        if (hasBody) response.setKeepAlive(false);
        response.setStatusAndReason(HTTPResponse::HTTP_OK);
        response.setContentLength(0);
        response.send();
        return;
    }
    const bool isGet = method == HTTPRequest::HTTP_GET;
    if (!isGet && !methodTakesBody(method)) {
        response.set("Allow", "GET, HEAD, POST, PUT, PATCH");
        return refuse(HTTPResponse::HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
                      "method " + method + " is not accepted on a webhook");
    }

    json query;
    if (!parseFormEncoded(uri.getRawQuery(), query))
        return refuse(HTTPResponse::HTTP_BAD_REQUEST, "malformed_query",
                      "invalid percent-escape in the query string");

    json body;
    if (isGet) {
        body = query;  // a GET's parameters are its payload
    } else {
        auto raw = readBody(request, services_.settings.maxBodyBytes);
        if (!raw) {
            response.setKeepAlive(false);  // the rest of the body stays unread
            ++services_.metrics.clientErrors;
            return sendError(response, HTTPResponse::HTTP_REQUESTENTITYTOOLARGE, "body_too_large",
                             "request body exceeds " +
                                 std::to_string(services_.settings.maxBodyBytes) + " bytes");
        }
        auto decoded = decodeBody(request.getContentType(), *raw);
        if (auto* error = std::get_if<DecodeError>(&decoded)) {
            ++services_.metrics.clientErrors;
            return sendError(response, static_cast<HTTPResponse::HTTPStatus>(error->status),
                             error->code, error->message);
        }
        body = std::move(std::get<json>(decoded));
    }

    Message message;
    message.id = newRequestId();
    message.body = std::move(body);
    message.headers = lowerCaseHeaders(request);
    message.meta = {{"flow", flow->id},
                    {"requestId", message.id},
                    {"receivedAt", Poco::DateTimeFormatter::format(
                                       Poco::Timestamp(), Poco::DateTimeFormat::ISO8601_FRAC_FORMAT)},
                    {"method", method},
                    {"path", hook->suffix},
                    {"query", std::move(query)}};

    try {
        services_.queue.enqueue(
            {{flow->id, message.id, flow->steps.front().id, json(message).dump()}});
    } catch (const queue::QueueUnavailable& e) {
        ++services_.metrics.unavailable;
        Poco::Logger::get("flowgate.http").warning("flow %s: request not stored: %s", flow->id,
                                                   std::string(e.what()));
        response.set("Retry-After", "5");
        return sendError(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE, "unavailable",
                         "the message could not be stored; nothing was kept, try again later");
    }
    ++services_.metrics.accepted;
    sendJson(response, HTTPResponse::HTTP_ACCEPTED,
             {{"requestId", message.id}, {"message", "accepted for flow '" + flow->id + "'"}});
}

}  // namespace flowgate::http
