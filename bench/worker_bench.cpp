// A worker's per-execution pieces on bench/cpu-per-request's message, main's code (dd3e8f4;
// f772355 for the logger's time) against the current one: reading the stored message, the
// logger's line, jq's output message (scope body), the logger's time (strftime per line vs
// once a second) and counting a settled step run in the step metrics; and the parse of the
// stored text alone, nlohmann's against simdjson's (runtime/json_parse.hpp).
//
//   worker_bench [--rounds R] [--iterations N]
//
// Each round runs every piece N times old, then N times new; the figure is the median over
// R rounds of this thread's CPU ns per call, then new/old. The "old" code is a copy of
// main's, kept here only as the reference.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "flowgate/message.hpp"
#include "log_line.hpp"
#include "metrics/step_metrics.hpp"
#include "runtime/json_parse.hpp"
#include "runtime/stored_message.hpp"
#include "rounds_option.hpp"
#include "utc_timestamp.hpp"

using flowgate::Message;
using nlohmann::json;

namespace {

// --- main's code (dd3e8f4; f772355 for the logger's time), the reference -----------------
std::string jsonText(const json& value) {
    return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string oldLogLine(const Message& input, std::string_view time, std::string_view level,
                       std::string_view flow, std::string_view step,
                       const std::optional<std::string>& prefix) {
    const json requestId = input.meta.is_object() ? input.meta.value("requestId", json()) : json();
    std::string line = "{\"time\":" + jsonText(time);
    line += ",\"level\":" + jsonText(level);
    line += ",\"flow\":" + jsonText(flow);
    line += ",\"step\":" + jsonText(step);
    line += ",\"requestId\":" + jsonText(requestId);
    if (prefix) line += ",\"prefix\":" + jsonText(*prefix);
    line += ",\"message\":{\"id\":" + jsonText(input.id);
    line += ",\"body\":" + jsonText(input.body);
    line += ",\"headers\":" + jsonText(input.headers);
    line += ",\"meta\":" + jsonText(input.meta);
    line += ",\"attachments\":" + jsonText(input.attachments);
    line += "}}";
    return line;
}

std::string oldUtcTimestamp(std::chrono::system_clock::time_point time) {
    using namespace std::chrono;
    const auto seconds = floor<std::chrono::seconds>(time);
    const auto millis = duration_cast<milliseconds>(time - seconds).count();
    const std::time_t t = system_clock::to_time_t(seconds);
    std::tm utc{};
    gmtime_r(&t, &utc);
    char date[32];
    std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &utc);
    char text[48];
    std::snprintf(text, sizeof text, "%s.%03dZ", date, static_cast<int>(millis));
    return text;
}

const prometheus::Histogram::BucketBoundaries kStepBuckets = {
    0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120};

struct OldStepMetrics {
    prometheus::Registry registry;
    prometheus::Family<prometheus::Counter>& runs =
        prometheus::BuildCounter().Name("runs").Register(registry);
    prometheus::Family<prometheus::Histogram>& durations =
        prometheus::BuildHistogram().Name("durations").Register(registry);

    void ran(const std::string& flow, const std::string& step, std::string_view outcome,
             std::optional<double> seconds) {
        runs.Add({{"flow", flow}, {"step", step}, {"outcome", std::string(outcome)}}).Increment();
        if (seconds) durations.Add({{"flow", flow}, {"step", step}}, kStepBuckets).Observe(*seconds);
    }
};

// ------------------------------------------------------------------------------------------
double threadCpuNs() {
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);  // the machine is shared: not wall time
    return static_cast<double>(now.tv_sec) * 1e9 + static_cast<double>(now.tv_nsec);
}

struct Piece {
    const char* name;
    std::function<void()> oldCall, newCall;
    std::vector<double> oldNs, newNs;
};

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    flowgate::bench::Rounds options{15, 20000};
    if (!flowgate::bench::readRounds(argc, argv, options)) return 2;
    const auto [rounds, iterations] = options;
    // The stored message of bench/cpu-per-request's request, as the webhook writes it.
    Message input;
    input.id = "0f3c2a9e-5b7d-4c1e-9a2b-3d4e5f607182";
    input.body = {{"title", std::string(200, 'x')}, {"n", 1}};
    for (int i = 0; i < 8; ++i)
        input.body["data"]["order"]["items"].push_back({{"sku", std::string(50, 'a')}, {"q", i}});
    input.headers = {{"content-length", "712"},
                     {"content-type", "application/json"},
                     {"host", "127.0.0.1:8080"}};
    input.meta = {{"flow", "bench"},
                  {"requestId", input.id},
                  {"method", "POST"},
                  {"query", json::object()},
                  {"receivedAt", "2026-12-02T07:13:21.123456Z"}};
    const std::string stored = json(input).dump();
    const json jqOutput = {{"title", std::string(200, 'x')}, {"n", 1}, {"items", 8}};
    const std::optional<std::string> noPrefix;
    const std::string flow = "bench", step = "log";

    if (json(flowgate::runtime::readStoredMessage(stored)) != json::parse(stored) ||
        flowgate::runtime::parseJson(stored) != json::parse(stored) ||
        flowgate::plugins::logger::logLine(input, "t", "info", flow, step, noPrefix) !=
            oldLogLine(input, "t", "info", flow, step, noPrefix) ||
        flowgate::plugins::logger::utcTimestamp(std::chrono::system_clock::time_point{}) !=
            oldUtcTimestamp(std::chrono::system_clock::time_point{}))
        return std::fprintf(stderr, "old and new differ\n"), 1;

    std::size_t sink = 0;  // printed at the end, so no call is optimised away
    OldStepMetrics oldMetrics;
    flowgate::metrics::StepMetrics newMetrics;
    std::vector<Piece> pieces = {
        {"stored message",
         [&] { sink += json::parse(stored).get<Message>().id.size(); },
         [&] { sink += flowgate::runtime::readStoredMessage(stored).id.size(); }},
        {"json parse",
         [&] { sink += json::parse(stored).size(); },
         [&] { sink += flowgate::runtime::parseJson(stored).size(); }},
        {"logger line",
         [&] { sink += oldLogLine(input, "2026-12-02T07:13:21.123Z", "info", flow, step, noPrefix).size(); },
         [&] {
             sink += flowgate::plugins::logger::logLine(input, "2026-12-02T07:13:21.123Z", "info",
                                                        flow, step, noPrefix)
                         .size();
         }},
        {"jq output message",
         [&] {
             Message message = input;
             message.body = json(jqOutput);
             sink += message.body.size();
         },
         [&] {
             Message message{input.id, json(jqOutput), input.headers, input.attachments, input.meta};
             sink += message.body.size();
         }},
        {"logger time",
         [&] { sink += oldUtcTimestamp(std::chrono::system_clock::now()).size(); },
         [&] {
             sink +=
                 flowgate::plugins::logger::utcTimestamp(std::chrono::system_clock::now()).size();
         }},
        {"step run counted",
         [&] { oldMetrics.ran(flow, step, "completed", 0.0002); },
         [&] { newMetrics.ran(flow, step, "completed", 0.0002); }},
    };
    for (int r = 0; r < rounds; ++r) {
        for (auto& piece : pieces) {
            double start = threadCpuNs();
            for (int i = 0; i < iterations; ++i) piece.oldCall();
            piece.oldNs.push_back((threadCpuNs() - start) / iterations);
            start = threadCpuNs();
            for (int i = 0; i < iterations; ++i) piece.newCall();
            piece.newNs.push_back((threadCpuNs() - start) / iterations);
        }
    }
    std::printf("stored message %zu bytes, %d rounds x %d calls, median ns per call\n",
                stored.size(), rounds, iterations);
    std::printf("%-20s %10s %10s %8s\n", "piece", "old ns", "new ns", "new/old");
    for (const auto& piece : pieces) {
        const double oldNs = median(piece.oldNs), newNs = median(piece.newNs);
        std::printf("%-20s %10.0f %10.0f %8.2f\n", piece.name, oldNs, newNs, newNs / oldNs);
    }
    std::printf("(checksum %zu)\n", sink);
    return 0;
}
