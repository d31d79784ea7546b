// Step runs by flow, step and outcome, and how long steps ran. Kept by the intake from
// the outcomes it settles, with the run times its worker ledger measured. Thread-safe.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

namespace flowgate::metrics {

class StepMetrics {
public:
    StepMetrics();

    // One settled step run. `outcome`: completed, failed, retry_later, dead, waiting,
    // released. `seconds`: how long the step ran, when it is known (a worker that died
    // holding an item never reported it).
    void ran(const std::string& flow, const std::string& step, std::string_view outcome,
             std::optional<double> seconds);

    std::vector<prometheus::MetricFamily> collect() const;

private:
    // The series of (flow, step[, outcome]), found once: Family::Add builds a label map
    // and a new counter or histogram on every call, only to drop them when the series
    // exists, and the link threads count every settled step run.
    prometheus::Counter& runs(const std::string& flow, const std::string& step,
                              std::string_view outcome);
    prometheus::Histogram& durations(const std::string& flow, const std::string& step);

    prometheus::Registry registry_;
    prometheus::Family<prometheus::Counter>& runs_;
    prometheus::Family<prometheus::Histogram>& durations_;
    // Series are never removed from the families, so the pointers stay valid.
    std::mutex cacheMutex_;
    std::unordered_map<std::string, prometheus::Counter*> runsByKey_;
    std::unordered_map<std::string, prometheus::Histogram*> durationsByKey_;
};

}  // namespace flowgate::metrics
