// Webhook answers by flow and status, and how long a durable accept takes.
//
// The flow label is only ever a configured flow's id ("" for a path that names none), so
// callers cannot grow the label set by inventing ids.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/counter.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

namespace flowgate::metrics {

class RequestMetrics {
public:
    RequestMetrics();

    // One answered webhook call (any status) of `flow`.
    void answered(const std::string& flow, int status);
    // A message stored durably: from the complete request to its answer being ready.
    void accepted(std::chrono::steady_clock::duration latency);

    std::vector<prometheus::MetricFamily> collect() const;

private:
    prometheus::Registry registry_;
    prometheus::Family<prometheus::Counter>& requests_;
    prometheus::Histogram& acceptLatency_;
};

}  // namespace flowgate::metrics
