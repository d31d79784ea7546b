// The webhook handler's per-request pieces on a 1 KiB JSON body, before and after issue
// 9's intake work: the body check (nlohmann accept + bracket count vs simdjson), the stored
// message text (json(Message).dump + splice vs the direct writer) and the 202 body.
//
//   webhook_bench [--rounds R] [--iterations N]
//
// Each piece runs N times per round; the figure is the median over R rounds of the time
// per call (ns of this thread's CPU time), then new/old ratios. The "old" code is a copy
// of main's at 4a4274b, kept here only as the reference.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>
#include <nlohmann/json.hpp>

#include "auth/verifier.hpp"
#include "flowgate/message.hpp"
#include "webhooks/json_validator.hpp"
#include "webhooks/received_at.hpp"
#include "webhooks/stored_message.hpp"
#include "rounds_option.hpp"

using nlohmann::json;

namespace {

// --- main's code (4a4274b), the reference ------------------------------------------------
int nestingDepth(std::string_view text) {
    int depth = 0, deepest = 0;
    bool inString = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (inString) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                inString = false;
        } else if (c == '"') {
            inString = true;
        } else if (c == '[' || c == '{') {
            deepest = std::max(deepest, ++depth);
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return deepest;
}

bool oldValid(std::string_view body) {
    return nestingDepth(body) <= 256 && json::accept(body);
}

std::string oldStoredMessage(flowgate::Message& message, std::string_view raw) {
    std::string text = json(message).dump(-1, ' ', false, json::error_handler_t::replace);
    static constexpr std::string_view head = R"({"attachments":[],"body":null)";
    if (text.compare(0, head.size(), head) == 0) text.replace(head.size() - 4, 4, raw);
    return text;
}

std::string oldMessageText(const flowgate::auth::HeaderMap& headers, const std::string& id,
                           const std::string& receivedAt, const json& query, std::string_view raw) {
    flowgate::Message message;
    message.id = id;
    message.body = nullptr;
    json stored = json::object();
    for (const auto& [name, value] : headers) stored[name] = value;
    message.headers = std::move(stored);
    message.meta = {{"flow", "bench"},  {"requestId", id}, {"receivedAt", receivedAt},
                    {"method", "POST"}, {"path", ""},      {"query", query}};
    return oldStoredMessage(message, raw);
}

std::string oldAccepted(const std::string& flowId, const std::string& requestId) {
    return json{{"requestId", requestId}, {"message", "accepted for flow '" + flowId + "'"}}.dump(
        -1, ' ', false, json::error_handler_t::replace);
}

// --- the new code's calls, as the handler makes them --------------------------------------
std::string newMessageText(const flowgate::auth::HeaderMap& headers, const std::string& id,
                           const std::string& receivedAt, const json& query, std::string_view raw) {
    flowgate::http::WebhookMessage parts;
    parts.id = id;
    parts.rawBody = raw;
    parts.headers.reserve(headers.size());
    for (const auto& [name, value] : headers) parts.headers.emplace_back(name, value);
    parts.flow = "bench";
    parts.receivedAt = receivedAt;
    parts.method = "POST";
    parts.path = "";
    parts.query = &query;
    return flowgate::http::storedMessageText(parts);
}

std::string newAccepted(const std::string& flowId, const std::string& requestId) {
    std::string body = R"({"message":"accepted for flow ')";
    body += flowId;
    body += R"('","requestId":)";
    flowgate::http::appendJsonString(body, requestId);
    body += '}';
    return body;
}

// ------------------------------------------------------------------------------------------
// This thread's CPU time: the machine is shared, and wall time would count the time the
// bench spends descheduled.
double cpuNs() {
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) * 1e9 + static_cast<double>(now.tv_nsec);
}

double medianNs(int rounds, int iterations, const std::function<void()>& call) {
    std::vector<double> perCall;
    for (int r = 0; r < rounds; ++r) {
        const double start = cpuNs();
        for (int i = 0; i < iterations; ++i) call();
        perCall.push_back((cpuNs() - start) / iterations);
    }
    std::sort(perCall.begin(), perCall.end());
    return perCall[perCall.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    flowgate::bench::Rounds options{15, 20000};
    if (!flowgate::bench::readRounds(argc, argv, options)) return 2;
    const auto [rounds, iterations] = options;
    // bench/cpu-per-request's body's shape, its title grown to make it 1 KiB.
    json doc = {{"title", std::string(200, 'x')}, {"n", 1}};
    for (int i = 0; i < 8; ++i)
        doc["data"]["order"]["items"].push_back({{"sku", std::string(50, 'a')}, {"q", i}});
    doc["title"] = std::string(200 + 1024 - doc.dump().size(), 'x');
    const std::string body = doc.dump();
    std::string padded;  // as the edge hands it over: kBodyTailroom spare bytes
    padded.reserve(body.size() + 64);
    padded = body;
    const flowgate::auth::HeaderMap headers = {{"content-length", std::to_string(body.size())},
                                               {"content-type", "application/json"},
                                               {"host", "127.0.0.1:8080"}};
    const std::string id = "0f3c2a9e-5b7d-4c1e-9a2b-3d4e5f607182";
    const std::string receivedAt = "2026-12-02T07:13:21.123456Z";
    const json query = json::object();
    if (oldMessageText(headers, id, receivedAt, query, body) !=
            newMessageText(headers, id, receivedAt, query, body) ||
        oldAccepted("bench", id) != newAccepted("bench", id) || !oldValid(body) ||
        !flowgate::http::isValidJson(body, 256))
        return std::fprintf(stderr, "old and new differ\n"), 1;

    std::size_t sink = 0;  // printed at the end, so no call is optimised away
    struct Row {
        const char* piece;
        double oldNs, newNs;
    };
    std::vector<Row> rows;
    auto measure = [&](const char* piece, const std::function<void()>& oldCall,
                       const std::function<void()>& newCall) {
        rows.push_back(
            {piece, medianNs(rounds, iterations, oldCall), medianNs(rounds, iterations, newCall)});
    };
    std::printf("body %zu bytes, %d rounds x %d calls, median ns per call\n", body.size(), rounds,
                iterations);
    measure(
        "validate (copied)", [&] { sink += oldValid(body); },
        [&] { sink += flowgate::http::isValidJson(body, 256); });
    measure(
        "validate (in place)", [&] { sink += oldValid(padded); },
        [&] {
            sink += flowgate::http::isValidJson(padded, 256, padded.capacity() - padded.size());
        });
    measure(
        "message text",
        [&] { sink += oldMessageText(headers, id, receivedAt, query, body).size(); },
        [&] { sink += newMessageText(headers, id, receivedAt, query, body).size(); });
    measure(
        "202 body", [&] { sink += oldAccepted("bench", id).size(); },
        [&] { sink += newAccepted("bench", id).size(); });
    measure(
        "receivedAt",
        [&] {
            sink += Poco::DateTimeFormatter::format(Poco::Timestamp(),
                                                    Poco::DateTimeFormat::ISO8601_FRAC_FORMAT)
                        .size();
        },
        [&] { sink += flowgate::http::receivedAtText().size(); });
    double oldTotal = 0, newTotal = 0;
    std::printf("%-22s %10s %10s %8s\n", "piece", "old ns", "new ns", "new/old");
    for (const auto& row : rows) {
        std::printf("%-22s %10.0f %10.0f %8.2f\n", row.piece, row.oldNs, row.newNs,
                    row.newNs / row.oldNs);
        if (row.piece != std::string("validate (copied)"))
            oldTotal += row.oldNs, newTotal += row.newNs;
    }
    std::printf("%-22s %10.0f %10.0f %8.2f\n", "sum (in place)", oldTotal, newTotal,
                newTotal / oldTotal);
    std::printf("(checksum %zu)\n", sink);
    return 0;
}
