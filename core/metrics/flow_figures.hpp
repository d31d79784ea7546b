// Per-flow gauges read from the store at scrape time: queue depth and executions in the
// history by status (`dead`: executions that have a dead letter).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <prometheus/metric_family.h>

namespace flowgate::metrics {

struct FlowFigures {
    std::int64_t queueDepth = 0;
    std::map<std::string, std::int64_t> executionsByStatus;
};

// Families flowgate_flow_queue_depth{flow} and flowgate_flow_executions{flow, status}.
std::vector<prometheus::MetricFamily> flowFamilies(const std::map<std::string, FlowFigures>& flows);

}  // namespace flowgate::metrics
