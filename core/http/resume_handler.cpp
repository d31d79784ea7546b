#include "http/resume_handler.hpp"

#include <vector>

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Logger.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Timestamp.h>
#include <Poco/URI.h>

#include "auth/constant_time.hpp"
#include "http/body_decoder.hpp"
#include "http/connection_watchdog.hpp"
#include "http/json_response.hpp"
#include "http/request_body.hpp"
#include "http/request_headers.hpp"
#include "http/request_id.hpp"

namespace flowgate::http {

using nlohmann::json;
using Poco::Net::HTTPRequest;
using Poco::Net::HTTPResponse;

namespace {

struct ResumePath {
    std::string executionId;
    std::string token;
};

// "/resume/{executionId}/{token}"; nullopt for anything else.
std::optional<ResumePath> parseResumePath(const std::string& path) {
    static const std::string prefix = "/resume/";
    if (path.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
    const std::size_t slash = path.find('/', prefix.size());
    if (slash == std::string::npos || path.find('/', slash + 1) != std::string::npos)
        return std::nullopt;
    ResumePath parts{path.substr(prefix.size(), slash - prefix.size()), path.substr(slash + 1)};
    if (parts.executionId.empty() || parts.token.empty()) return std::nullopt;
    return parts;
}

// The waiting item's message with the call in meta.resume, in place of meta.wait, and a
// new resume URL: a spent URL must not resume a later wait of the same execution (a caller
// that repeats its call would otherwise answer that one too).
std::string resumedMessage(const std::string& stored, json call, const std::string& nextUrl) {
    json message = json::parse(stored);
    json& meta = message["meta"];
    if (!meta.is_object()) meta = json::object();
    meta.erase("wait");
    meta["resume"] = std::move(call);
    meta["resumeUrl"] = nextUrl;
    // Header values are not checked for UTF-8 by Poco: replace what JSON cannot hold.
    return message.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

void ResumeHandler::handleRequest(Poco::Net::HTTPServerRequest& request,
                                  Poco::Net::HTTPServerResponse& response) {
    RestartDeadlineOnExit restartDeadline;
    auto& log = Poco::Logger::get("flowgate.http");
    const std::string& method = request.getMethod();
    Poco::URI uri(request.getURI());
    RequestBody requestBody(request, response);  // closes the connection unless read
    auto refuse = [&](HTTPResponse::HTTPStatus status, const std::string& code,
                      const std::string& message) {
        ++services_.metrics.clientErrors;
        sendError(response, status, code, message);
    };

    const auto path = parseResumePath(uri.getPath());
    if (!path) return refuse(HTTPResponse::HTTP_NOT_FOUND, "not_found", "no such endpoint");
    const bool isGet = method == HTTPRequest::HTTP_GET;
    if (!isGet && method != HTTPRequest::HTTP_POST && method != HTTPRequest::HTTP_PUT) {
        response.set("Allow", "GET, POST, PUT");
        return refuse(HTTPResponse::HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
                      "a resume URL takes GET, POST or PUT");
    }

    json query;
    if (!parseFormEncoded(uri.getRawQuery(), query))
        return refuse(HTTPResponse::HTTP_BAD_REQUEST, "malformed_query",
                      "the query string has an invalid percent-escape or is not UTF-8");
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
    ConnectionWatchdog::pauseCurrent();

    // Wrong token, unknown execution, resumed already, timed out: one answer for all, so
    // the answer tells a guesser nothing.
    const auto notWaiting = [&] {
        refuse(HTTPResponse::HTTP_NOT_FOUND, "not_waiting",
               "no execution is waiting at this resume URL");
    };
    try {
        // Every branch of the execution that waits (after a split, say) goes on with the
        // call: the URL names the execution, not one of its items.
        auto waiting = services_.queue.waiting(path->executionId);
        std::vector<queue::WaitingItem> matches;
        for (auto& item : waiting)
            if (auth::constantTimeEqual(item.waitToken, path->token)) matches.push_back(std::move(item));
        if (matches.empty()) {
            // The execution may not have reached its wait step yet (a fast callback): the
            // caller should try again rather than give up. Tells only whether an execution
            // with this id, which only its caller and its steps know, is still running.
            if (waiting.empty() && services_.queue.hasPending(path->executionId)) {
                response.set("Retry-After", "1");
                return refuse(HTTPResponse::HTTP_CONFLICT, "not_waiting_yet",
                              "the execution is not waiting at this URL yet; try again shortly");
            }
            return notWaiting();
        }

        json call = {{"method", method},
                     {"receivedAt", Poco::DateTimeFormatter::format(
                                        Poco::Timestamp(), Poco::DateTimeFormat::ISO8601_FRAC_FORMAT)},
                     {"query", query}};
        if (isGet) {
            call["body"] = query;
        } else {
            // No attachment store: a resume call carries data, not files (415).
            auto decoded = decodeBody(request.getContentType(),
                                      request.get("Content-Disposition", ""), raw,
                                      path->executionId, nullptr,
                                      DecodeLimits::forBodyLimit(services_.settings.maxBodyBytes, 0));
            if (auto* error = std::get_if<DecodeError>(&decoded)) {
                ++services_.metrics.clientErrors;
                return sendJson(response, static_cast<HTTPResponse::HTTPStatus>(error->status),
                                {{"error", error->code}, {"message", error->message}});
            }
            call["body"] = std::move(std::get<DecodedBody>(decoded).body);
        }
        json headers = json::object();
        for (const auto& [name, value] : lowerCaseHeaders(request))
            if (!isCredentialHeader(name)) headers[name] = value;
        call["headers"] = std::move(headers);

        std::size_t resumed = 0;
        const std::string nextUrl = resumeUrl(services_.publicBaseUrl, request, path->executionId);
        for (const auto& item : matches) {
            call["step"] = item.stepId;
            if (!services_.queue.resume(item.id, item.waitToken,
                                        resumedMessage(item.message, call, nextUrl)))
                continue;  // timed out or resumed by another call just now
            ++resumed;
            log.information("flow %s: execution %s resumed at step %s", item.flowId,
                            path->executionId, item.stepId);
        }
        if (resumed == 0) return notWaiting();
        ++services_.metrics.resumed;
        sendJson(response, HTTPResponse::HTTP_ACCEPTED,
                 {{"requestId", path->executionId}, {"message", "execution resumed"}});
    } catch (const queue::QueueUnavailable& e) {
        ++services_.metrics.unavailable;
        log.warning("execution %s: not resumed: %s", path->executionId, std::string(e.what()));
        response.set("Retry-After", "5");
        sendError(response, HTTPResponse::HTTP_SERVICE_UNAVAILABLE, "unavailable",
                  "the execution could not be resumed now; try again later");
    }
}

}  // namespace flowgate::http
