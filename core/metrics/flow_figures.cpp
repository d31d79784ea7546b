#include "metrics/flow_figures.hpp"

namespace flowgate::metrics {

std::vector<prometheus::MetricFamily> flowFamilies(
    const std::map<std::string, FlowFigures>& flows) {
    prometheus::MetricFamily depth{"flowgate_flow_queue_depth",
                                   "Work items stored for the flow (ready, leased or waiting)",
                                   prometheus::MetricType::Gauge,
                                   {}};
    prometheus::MetricFamily executions{
        "flowgate_flow_executions",
        "Executions of the flow in the history (within retention), by status; dead: the "
        "execution has a dead letter",
        prometheus::MetricType::Gauge,
        {}};
    for (const auto& [flow, figures] : flows) {
        prometheus::ClientMetric metric;
        metric.label = {{"flow", flow}};
        metric.gauge.value = static_cast<double>(figures.queueDepth);
        depth.metric.push_back(metric);
        for (const auto& [status, count] : figures.executionsByStatus) {
            prometheus::ClientMetric byStatus;
            byStatus.label = {{"flow", flow}, {"status", status}};
            byStatus.gauge.value = static_cast<double>(count);
            executions.metric.push_back(byStatus);
        }
    }
    return {depth, executions};
}

}  // namespace flowgate::metrics
