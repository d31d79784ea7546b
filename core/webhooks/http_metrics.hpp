// Counters of the Webhooks Service, read by /metrics.
#pragma once

#include <atomic>
#include <cstdint>

#include "metrics/request_metrics.hpp"

namespace flowgate::http {

struct HttpMetrics {
    std::atomic<std::uint64_t> accepted{0};      // stored durably, 2xx answered
    std::atomic<std::uint64_t> clientErrors{0};  // 4xx
    std::atomic<std::uint64_t> unavailable{0};   // 503: the queue could not take it
    std::atomic<std::uint64_t> duplicates{0};    // delivery ids seen before: 200, not queued
    std::atomic<std::uint64_t> resumed{0};       // paused executions resumed by their URL
    metrics::RequestMetrics requests;            // by flow and status; accept latency
};

}  // namespace flowgate::http
