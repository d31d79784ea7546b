#include "metrics/exposition.hpp"

#include <prometheus/text_serializer.h>

namespace flowgate::metrics {

std::string exposition(const std::vector<prometheus::MetricFamily>& families) {
    return prometheus::TextSerializer().Serialize(families);
}

}  // namespace flowgate::metrics
