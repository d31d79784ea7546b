#include "metrics/request_metrics.hpp"

namespace flowgate::metrics {

namespace {

// From a commit on an idle disk (~1 ms) to an overloaded one; seconds, as Prometheus wants.
const prometheus::Histogram::BucketBoundaries kAcceptBuckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};

}  // namespace

RequestMetrics::RequestMetrics()
    : requests_(prometheus::BuildCounter()
                    .Name("flowgate_webhook_requests_total")
                    .Help("Webhook calls answered, by flow and HTTP status")
                    .Register(registry_)),
      acceptLatency_(prometheus::BuildHistogram()
                         .Name("flowgate_webhook_accept_duration_seconds")
                         .Help("From a complete webhook request to its durable answer")
                         .Register(registry_)
                         .Add({}, kAcceptBuckets)) {}

void RequestMetrics::answered(const std::string& flow, int status) {
    requests_.Add({{"flow", flow}, {"status", std::to_string(status)}}).Increment();
}

void RequestMetrics::accepted(std::chrono::steady_clock::duration latency) {
    acceptLatency_.Observe(std::chrono::duration<double>(latency).count());
}

std::vector<prometheus::MetricFamily> RequestMetrics::collect() const {
    return registry_.Collect();
}

}  // namespace flowgate::metrics
