// Step runs by flow, step and outcome, and how long steps ran. Kept by the intake from
// the outcomes it settles, with the run times its worker ledger measured.
#pragma once

#include <optional>
#include <string>
#include <string_view>
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
    prometheus::Registry registry_;
    prometheus::Family<prometheus::Counter>& runs_;
    prometheus::Family<prometheus::Histogram>& durations_;
};

}  // namespace flowgate::metrics
