#include "metrics/step_metrics.hpp"

namespace flowgate::metrics {

namespace {

// Steps range from a jq transform (tens of µs) to an API call with retries (seconds).
const prometheus::Histogram::BucketBoundaries kStepBuckets = {
    0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120};

// An unambiguous key of label values, whatever bytes they hold (length-prefixed), built
// in one buffer per thread so that a lookup of a known series allocates nothing.
const std::string& keyOf(const std::string& flow, const std::string& step,
                         std::string_view outcome) {
    thread_local std::string key;
    key.clear();
    key.append(std::to_string(flow.size())).append(":").append(flow);
    key.append(std::to_string(step.size())).append(":").append(step);
    key.append(outcome);
    return key;
}

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
    runs(flow, step, outcome).Increment();
    if (seconds) durations(flow, step).Observe(*seconds);
}

prometheus::Counter& StepMetrics::runs(const std::string& flow, const std::string& step,
                                       std::string_view outcome) {
    const std::string& key = keyOf(flow, step, outcome);
    std::lock_guard lock(cacheMutex_);
    auto it = runsByKey_.find(key);
    if (it == runsByKey_.end())
        it = runsByKey_
                 .emplace(key, &runs_.Add({{"flow", flow},
                                           {"step", step},
                                           {"outcome", std::string(outcome)}}))
                 .first;
    return *it->second;
}

prometheus::Histogram& StepMetrics::durations(const std::string& flow, const std::string& step) {
    const std::string& key = keyOf(flow, step, {});
    std::lock_guard lock(cacheMutex_);
    auto it = durationsByKey_.find(key);
    if (it == durationsByKey_.end())
        it = durationsByKey_
                 .emplace(key, &durations_.Add({{"flow", flow}, {"step", step}}, kStepBuckets))
                 .first;
    return *it->second;
}

std::vector<prometheus::MetricFamily> StepMetrics::collect() const {
    return registry_.Collect();
}

}  // namespace flowgate::metrics
