// Process figures from /proc: CPU time, resident memory and open descriptors of the intake
// (the standard process_* names) and the sums over the worker processes alive now.
#pragma once

#include <sys/types.h>

#include <optional>
#include <vector>

#include <prometheus/metric_family.h>

namespace flowgate::metrics {

struct ProcessFigures {
    double cpuSeconds = 0;  // user + system
    double residentBytes = 0;
    double openFds = 0;
    double maxFds = 0;          // the soft limit
    double startTimeSeconds = 0;  // Unix time
};

// Figures of `pid`; nullopt if it is gone (or /proc is not readable).
std::optional<ProcessFigures> readProcess(pid_t pid);

// process_* for this process, flowgate_workers_* summed over `workers`.
std::vector<prometheus::MetricFamily> processFamilies(const std::vector<pid_t>& workers);

}  // namespace flowgate::metrics
