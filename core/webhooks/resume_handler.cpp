#include "webhooks/resume_handler.hpp"

#include <vector>

#include <Poco/Logger.h>

#include "flow/resume_url.hpp"
#include "flowgate/common/secret_bytes.hpp"
#include "http/json_response.hpp"
#include "http/request_headers.hpp"
#include "http/request_id.hpp"
#include "webhooks/body_decoder.hpp"
#include "webhooks/received_at.hpp"

namespace flowgate::http {

using nlohmann::json;

namespace {

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

void ResumeHandler::handle(const Request& request, Response& response) {
    // Logger::get takes a global lock: once, not per request.
    static Poco::Logger& log = Poco::Logger::get("flowgate.http");
    const std::string& method = request.method;
    auto refuse = [&](int status, const std::string& code, const std::string& message) {
        ++services_.metrics.clientErrors;
        sendError(response, status, code, message);
    };

    const auto path = flow::parseResumePath(request.path());
    if (!path) return refuse(404, "not_found", "no such endpoint");
    const bool isGet = method == "GET";
    if (!isGet && method != "POST" && method != "PUT") {
        response.set("Allow", "GET, POST, PUT");
        return refuse(405, "method_not_allowed", "a resume URL takes GET, POST or PUT");
    }

    json query;
    if (!parseFormEncoded(request.query(), query))
        return refuse(400, "malformed_query",
                      "the query string has an invalid percent-escape or is not UTF-8");
    const std::string_view raw = isGet ? std::string_view() : std::string_view(request.body);

    // Wrong token, unknown execution, resumed already, timed out: one answer for all, so
    // the answer tells a guesser nothing.
    const auto notWaiting = [&] {
        refuse(404, "not_waiting", "no execution is waiting at this resume URL");
    };
    try {
        // Every branch of the execution that waits (after a split, say) goes on with the
        // call: the URL names the execution, not one of its items.
        auto waiting = services_.queue.waiting(path->executionId);
        std::vector<queue::WaitingItem> matches;
        for (auto& item : waiting)
            if (common::constantTimeEqual(item.waitToken, path->token))
                matches.push_back(std::move(item));
        if (matches.empty()) {
            // The execution may not have reached its wait step yet (a fast callback): the
            // caller should try again rather than give up. Tells only whether an execution
            // with this id, which only its caller and its steps know, is still running.
            if (waiting.empty() && services_.queue.hasPending(path->executionId)) {
                response.set("Retry-After", "1");
                return refuse(409, "not_waiting_yet",
                              "the execution is not waiting at this URL yet; try again shortly");
            }
            return notWaiting();
        }

        json call = {{"method", method}, {"receivedAt", receivedAtText()}, {"query", query}};
        if (isGet) {
            call["body"] = query;
        } else {
            // No attachment store: a resume call carries data, not files (415).
            auto decoded =
                decodeBody(request.header("content-type"), request.header("content-disposition"),
                           raw, path->executionId, nullptr,
                           DecodeLimits::forBodyLimit(services_.settings.maxBodyBytes, 0));
            if (auto* error = std::get_if<DecodeError>(&decoded)) {
                ++services_.metrics.clientErrors;
                return sendJson(response, error->status,
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
        sendJson(response, 202,
                 {{"requestId", path->executionId}, {"message", "execution resumed"}});
    } catch (const queue::QueueUnavailable& e) {
        ++services_.metrics.unavailable;
        log.warning("execution %s: not resumed: %s", path->executionId, std::string(e.what()));
        response.set("Retry-After", "5");
        sendError(response, 503, "unavailable",
                  "the execution could not be resumed now; try again later");
    }
}

}  // namespace flowgate::http
