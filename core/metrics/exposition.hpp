// The Prometheus text format (version 0.0.4) of metric families.
#pragma once

#include <string>
#include <vector>

#include <prometheus/metric_family.h>

namespace flowgate::metrics {

std::string exposition(const std::vector<prometheus::MetricFamily>& families);

}  // namespace flowgate::metrics
