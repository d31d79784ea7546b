#include "admin/admin_api.hpp"

#include <vector>

#include <nlohmann/json.hpp>

#include "admin/api_query.hpp"
#include "admin/rfc3339.hpp"
#include "http/json_response.hpp"
#include "queue/execution_history.hpp"
#include "queue/queue_admin.hpp"
#include "text/percent_decoding.hpp"

namespace flowgate::admin {

using nlohmann::json;

namespace {

constexpr std::size_t kDefaultLimit = 50;
constexpr std::size_t kMaxLimit = 500;
// Dead letters one bulk replay moves, in one transaction: bounded so a single call
// cannot hold the queue's writer for long. The answer says how many; call again for more.
constexpr std::size_t kMaxBulkReplay = 10000;

const char* const kStatuses[] = {"running", "waiting", "succeeded", "failed", "dead"};

// The path below /api/v1/ split at '/', each segment percent-decoded.
std::vector<std::string> segments(std::string_view path) {
    std::vector<std::string> parts;
    while (!path.empty()) {
        const auto slash = path.find('/');
        const auto part = text::percentDecode(path.substr(0, slash), false);
        parts.push_back(part ? *part : std::string("\x01"));  // no route matches it
        if (slash == std::string_view::npos) break;
        path = path.substr(slash + 1);
    }
    return parts;
}

void methodNotAllowed(http::Response& response, const std::string& allow) {
    response.set("Allow", allow);
    http::sendError(response, 405, "method_not_allowed",
                    "this endpoint takes " + allow +
                        (allow == "GET" ? ""
                                        : " (changes are "
                                          "POST or DELETE)"));
}

json nullable(const std::string& text) {
    return text.empty() ? json(nullptr) : json(text);
}

json cursorOf(const std::optional<std::int64_t>& position) {
    return position ? json(encodeCursor(*position)) : json(nullptr);
}

json executionJson(const queue::ExecutionRecord& e) {
    return {{"requestId", e.requestId},
            {"flow", e.flowId},
            {"status", e.status},
            {"receivedAt", formatRfc3339(e.receivedAtMs)},
            {"updatedAt", formatRfc3339(e.updatedAtMs)},
            {"deliveryId", nullable(e.deliveryId)}};
}

json deadLetterJson(const queue::DeadLetter& d) {
    return {{"id", d.id},
            {"requestId", d.executionId},
            {"flow", d.flowId},
            {"step", d.stepId},
            {"error", d.error},
            {"attempts", d.attempts},
            {"failedAt", formatRfc3339(d.failedAtMs)}};
}

// A dead letter's id in a path: digits only.
std::optional<std::int64_t> idOf(const std::string& text) {
    if (text.empty() || text.size() > 18 ||
        text.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
    return std::stoll(text);
}

queue::QueueAdmin& adminOf(queue::Queue& queue) {
    auto* admin = queue.admin();
    if (!admin) throw queue::QueueUnavailable("this queue has no admin interface");
    return *admin;
}

queue::ExecutionHistory& historyOf(queue::Queue& queue) {
    auto* history = queue.history();
    if (!history) throw queue::QueueUnavailable("this queue keeps no history");
    return *history;
}

}  // namespace

AdminApi::AdminApi(flow::FlowCatalog& catalog, queue::Queue& queue, std::string publicBaseUrl)
    : catalog_(catalog), queue_(queue), publicBaseUrl_(std::move(publicBaseUrl)) {}

void AdminApi::handle(const http::Request& request, http::Response& response) const {
    try {
        route(request, response);
    } catch (const BadParameter& e) {
        http::sendError(response, 400, "bad_request", e.what());
    } catch (const queue::QueueUnavailable& e) {
        response.set("Retry-After", "5");
        http::sendError(response, 503, "unavailable", e.what());
    }
}

void AdminApi::route(const http::Request& request, http::Response& response) const {
    constexpr std::string_view prefix = "/api/v1/";
    const std::string_view path = request.path();
    if (!path.starts_with(prefix))
        return http::sendError(response, 404, "not_found", "no such endpoint (API v1 is /api/v1/)");
    const auto parts = segments(path.substr(prefix.size()));
    const std::string& method = request.method;
    const auto n = parts.size();
    if (n == 1 && parts[0] == "flows") {
        if (method != "GET") return methodNotAllowed(response, "GET");
        return listFlows(request, response);
    }
    if (n == 3 && parts[0] == "flows" && (parts[2] == "pause" || parts[2] == "resume")) {
        if (method != "POST") return methodNotAllowed(response, "POST");
        return pauseFlow(parts[1], parts[2] == "pause", response);
    }
    if (n == 1 && parts[0] == "executions") {
        if (method != "GET") return methodNotAllowed(response, "GET");
        return listExecutions(request, response);
    }
    if (n == 2 && parts[0] == "executions") {
        if (method != "GET") return methodNotAllowed(response, "GET");
        return showExecution(parts[1], response);
    }
    if (n == 1 && parts[0] == "dead-letters") {
        if (method != "GET") return methodNotAllowed(response, "GET");
        return listDeadLetters(request, response);
    }
    if (n == 2 && parts[0] == "dead-letters" && parts[1] == "replay") {
        if (method != "POST") return methodNotAllowed(response, "POST");
        return replayDeadLetters(request, response);
    }
    if (n == 3 && parts[0] == "dead-letters" && parts[2] == "replay") {
        if (method != "POST") return methodNotAllowed(response, "POST");
        return replayDeadLetter(parts[1], response);
    }
    if (n == 2 && parts[0] == "dead-letters") {
        if (method != "DELETE") return methodNotAllowed(response, "DELETE");
        return deleteDeadLetter(parts[1], response);
    }
    http::sendError(response, 404, "not_found", "no such endpoint");
}

void AdminApi::listFlows(const http::Request& request, http::Response& response) const {
    ApiQuery query(request.query(), {});
    const auto flows = catalog_.snapshot();
    const auto paused = adminOf(queue_).pausedFlows();
    const auto activity = historyOf(queue_).flowActivity();
    json items = json::array();
    for (const auto& [id, flow] : flows->all()) {
        const auto it = activity.find(id);
        const queue::FlowActivity none;
        const auto& a = it == activity.end() ? none : it->second;
        auto count = [&](const char* status) {
            const auto s = a.byStatus.find(status);
            return s == a.byStatus.end() ? std::int64_t{0} : s->second;
        };
        json counts = {{"received", a.received}};
        for (const char* status : kStatuses) counts[status] = count(status);
        items.push_back({{"id", id},
                         {"enabled", flow->enabled},
                         {"paused", paused.count(id) > 0},
                         {"url", publicBaseUrl_ + "/hook/" + id},
                         {"counts", counts},
                         {"queueDepth", a.queueDepth}});
    }
    http::sendJson(response, 200, {{"items", items}, {"nextCursor", nullptr}});
}

void AdminApi::pauseFlow(const std::string& id, bool paused, http::Response& response) const {
    if (!catalog_.snapshot()->find(id))
        return http::sendError(response, 404, "not_found", "no flow '" + id + "'");
    adminOf(queue_).setPaused(id, paused);
    http::sendJson(response, 200, {{"id", id}, {"paused", paused}});
}

void AdminApi::listExecutions(const http::Request& request, http::Response& response) const {
    ApiQuery query(request.query(), {"flow", "status", "since", "until", "cursor", "limit"});
    queue::ExecutionQuery q;
    q.flowId = query.text("flow");
    q.status = query.text("status");
    if (!q.status.empty() &&
        std::find(std::begin(kStatuses), std::end(kStatuses), q.status) == std::end(kStatuses))
        throw BadParameter(
            "status must be one of running, waiting, succeeded, failed, dead; not '" + q.status +
            "'");
    q.sinceMs = query.time("since");
    q.untilMs = query.time("until");
    q.beforeSeq = query.cursor();
    q.limit = query.limit(kDefaultLimit, kMaxLimit);
    const auto page = historyOf(queue_).executions(q);
    json items = json::array();
    for (const auto& e : page.items) items.push_back(executionJson(e));
    http::sendJson(response, 200, {{"items", items}, {"nextCursor", cursorOf(page.nextBeforeSeq)}});
}

void AdminApi::showExecution(const std::string& id, http::Response& response) const {
    const auto detail = historyOf(queue_).execution(id);
    if (!detail) return http::sendError(response, 404, "not_found", "no execution '" + id + "'");
    json body = executionJson(detail->execution);
    const auto& text = detail->execution.message;
    json message = json::parse(text, nullptr, false);
    body["message"] = message.is_discarded() ? json(text) : message;
    json attempts = json::array();
    for (const auto& a : detail->attempts)
        attempts.push_back({{"step", a.stepId},
                            {"attempt", a.attempt},
                            {"startedAt", formatRfc3339(a.startedAtMs)},
                            {"durationMs", a.durationMs},
                            {"outcome", a.outcome},
                            {"error", nullable(a.error)}});
    body["attempts"] = attempts;
    http::sendJson(response, 200, body);
}

void AdminApi::listDeadLetters(const http::Request& request, http::Response& response) const {
    ApiQuery query(request.query(), {"flow", "since", "until", "cursor", "limit"});
    queue::DeadLetterQuery q;
    q.flowId = query.text("flow");
    q.sinceMs = query.time("since");
    q.untilMs = query.time("until");
    q.beforeId = query.cursor();
    q.limit = query.limit(kDefaultLimit, kMaxLimit);
    const auto page = adminOf(queue_).deadLetterPage(q);
    json items = json::array();
    for (const auto& d : page.items) items.push_back(deadLetterJson(d));
    http::sendJson(response, 200, {{"items", items}, {"nextCursor", cursorOf(page.nextBeforeId)}});
}

void AdminApi::replayDeadLetter(const std::string& id, http::Response& response) const {
    const auto number = idOf(id);
    const auto requestId = number ? adminOf(queue_).replayDeadLetter(*number) : std::nullopt;
    if (!requestId)
        return http::sendError(response, 404, "not_found", "no dead letter '" + id + "'");
    http::sendJson(response, 202, {{"id", *number}, {"requestId", *requestId}});
}

void AdminApi::replayDeadLetters(const http::Request& request, http::Response& response) const {
    json body = request.body.empty() ? json::object() : json::parse(request.body, nullptr, false);
    if (!body.is_object())
        throw BadParameter("the body must be a JSON object: {\"flow\"?, \"since\"?, \"until\"?}");
    queue::DeadLetterQuery q;
    for (const auto& [key, value] : body.items()) {
        if (key == "flow") {
            if (!value.is_string()) throw BadParameter("flow must be a string");
            q.flowId = value.get<std::string>();
        } else if (key == "since" || key == "until") {
            std::optional<std::int64_t> ms;
            if (value.is_number_unsigned()) ms = value.get<std::int64_t>();
            if (value.is_string()) ms = parseTime(value.get<std::string>());
            if (!ms) throw BadParameter(key + " must be an RFC 3339 time or epoch milliseconds");
            (key == "since" ? q.sinceMs : q.untilMs) = ms;
        } else {
            throw BadParameter("unknown field '" + key + "' (flow, since, until)");
        }
    }
    const auto replayed = adminOf(queue_).replayDeadLetters(q, kMaxBulkReplay);
    http::sendJson(response, 200, {{"replayed", replayed}});
}

void AdminApi::deleteDeadLetter(const std::string& id, http::Response& response) const {
    const auto number = idOf(id);
    if (!number || !adminOf(queue_).deleteDeadLetter(*number))
        return http::sendError(response, 404, "not_found", "no dead letter '" + id + "'");
    response.status = 204;
    response.body.clear();
}

}  // namespace flowgate::admin
