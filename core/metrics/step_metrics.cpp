#include "metrics/step_metrics.hpp"

namespace flowgate::metrics {

namespace {

// Steps range from a jq transform (tens of µs) to an API call with retries (seconds).
const prometheus::Histogram::BucketBoundaries kStepBuckets = {
    0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120};

}  // namespace

StepMetrics::StepMetrics()
    : runs_(prometheus::BuildCounter()
                .Name("flowgate_step_runs_total")
                .Help("Step runs settled, by flow, step and outcome")
                .Register(registry_)),
      durations_(prometheus::BuildHistogram()
                     .Name("flowgate_step_duration_seconds")
                     .Help("How long steps ran, by flow and step")
                     .Register(registry_)) {}

void StepMetrics::ran(const std::string& flow, const std::string& step, std::string_view outcome,
                      std::optional<double> seconds) {
    runs_.Add({{"flow", flow}, {"step", step}, {"outcome", std::string(outcome)}}).Increment();
    if (seconds) durations_.Add({{"flow", flow}, {"step", step}}, kStepBuckets).Observe(*seconds);
}

std::vector<prometheus::MetricFamily> StepMetrics::collect() const {
    return registry_.Collect();
}

}  // namespace flowgate::metrics
