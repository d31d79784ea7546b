#include "ipc/queue_wire.hpp"

namespace flowgate::ipc::wire {

using nlohmann::json;

json encode(const queue::WorkItem& item) {
    return {{"id", item.id},
            {"token", item.leaseToken},
            {"flow", item.flowId},
            {"execution", item.executionId},
            {"step", item.stepId},
            {"message", item.message},
            {"attempts", item.failedAttempts}};
}

queue::WorkItem decodeItem(const json& frame) {
    queue::WorkItem item;
    item.id = frame.at("id").get<std::int64_t>();
    item.leaseToken = frame.at("token").get<std::uint64_t>();
    item.flowId = frame.at("flow").get<std::string>();
    item.executionId = frame.at("execution").get<std::string>();
    item.stepId = frame.at("step").get<std::string>();
    item.message = frame.at("message").get<std::string>();
    item.failedAttempts = frame.at("attempts").get<int>();
    return item;
}

namespace {

// Outcome::chained as [[step, ok, error, startedAtMs, durationUs]...]; absent when empty,
// which is every outcome but a completed pure step's.
json encodeChained(const std::vector<queue::ChainedRun>& runs) {
    json list = json::array();
    for (const auto& r : runs)
        list.push_back(json::array({r.stepId, r.ok, r.error, r.startedAtMs, r.durationUs}));
    return list;
}

std::vector<queue::ChainedRun> decodeChained(const json& list) {
    std::vector<queue::ChainedRun> runs;
    for (const auto& r : list)
        runs.push_back({r.at(0).get<std::string>(), r.at(1).get<bool>(), r.at(2).get<std::string>(),
                        r.at(3).get<std::int64_t>(), r.at(4).get<std::int64_t>()});
    return runs;
}

}  // namespace

json encode(const queue::Outcome& outcome) {
    json next = json::array();
    for (const auto& n : outcome.next)
        next.push_back(json::array({n.flowId, n.executionId, n.stepId, n.message}));
    json frame = {{"id", outcome.itemId},
                  {"token", outcome.leaseToken},
                  {"kind", static_cast<int>(outcome.kind)},
                  {"next", std::move(next)},
                  {"delayMs", outcome.delay.count()},
                  {"failed", outcome.failed},
                  {"error", outcome.error},
                  {"message", outcome.message},
                  {"waitToken", outcome.waitToken}};
    if (!outcome.chained.empty()) frame["chained"] = encodeChained(outcome.chained);
    return frame;
}

queue::Outcome decodeOutcome(const json& frame) {
    queue::Outcome outcome;
    outcome.itemId = frame.at("id").get<std::int64_t>();
    outcome.leaseToken = frame.at("token").get<std::uint64_t>();
    const int kind = frame.at("kind").get<int>();
    if (kind < static_cast<int>(queue::Outcome::Kind::completed) ||
        kind > static_cast<int>(queue::Outcome::Kind::wait))
        throw std::invalid_argument("unknown outcome kind " + std::to_string(kind));
    outcome.kind = static_cast<queue::Outcome::Kind>(kind);
    for (const auto& n : frame.at("next"))
        outcome.next.push_back({n.at(0).get<std::string>(), n.at(1).get<std::string>(),
                                n.at(2).get<std::string>(), n.at(3).get<std::string>()});
    outcome.delay = std::chrono::milliseconds(frame.at("delayMs").get<std::int64_t>());
    outcome.failed = frame.at("failed").get<bool>();
    outcome.error = frame.at("error").get<std::string>();
    outcome.message = frame.at("message").get<std::string>();
    outcome.waitToken = frame.at("waitToken").get<std::string>();
    if (const auto chained = frame.find("chained"); chained != frame.end())
        outcome.chained = decodeChained(*chained);
    return outcome;
}

json encode(const HttpReply& reply) {
    // The body may be any bytes: a CBOR byte string, not text.
    return {
        {"status", reply.status},
        {"headers", reply.headers},
        {"body", json::binary(std::vector<std::uint8_t>(reply.body.begin(), reply.body.end()))}};
}

HttpReply decodeReply(const json& frame) {
    HttpReply reply;
    reply.status = frame.at("status").get<int>();
    reply.headers = frame.at("headers").get<std::map<std::string, std::string>>();
    const auto& body = frame.at("body").get_binary();
    reply.body.assign(body.begin(), body.end());
    return reply;
}

json encodeItems(const std::vector<queue::WorkItem>& items) {
    json list = json::array();
    for (const auto& item : items) list.push_back(encode(item));
    return list;
}

std::vector<queue::WorkItem> decodeItems(const json& list) {
    std::vector<queue::WorkItem> items;
    items.reserve(list.size());
    for (const auto& frame : list) items.push_back(decodeItem(frame));
    return items;
}

json encodeOutcomes(const std::vector<queue::Outcome>& outcomes) {
    json list = json::array();
    for (const auto& outcome : outcomes) list.push_back(encode(outcome));
    return list;
}

std::vector<queue::Outcome> decodeOutcomes(const json& list) {
    std::vector<queue::Outcome> outcomes;
    outcomes.reserve(list.size());
    for (const auto& frame : list) outcomes.push_back(decodeOutcome(frame));
    return outcomes;
}

}  // namespace flowgate::ipc::wire
