#include "runtime/step_run.hpp"

namespace flowgate::runtime {

void WorkItemContext::log(LogLevel level, std::string_view text) {
    std::string line;
    line.reserve(text.size() + flow_.id.size() + step_.id.size() + 4);
    line.append(flow_.id).append("/").append(step_.id).append(": ").append(text);
    switch (level) {
    case LogLevel::debug: logger_.debug(line); break;
    case LogLevel::info: logger_.information(line); break;
    case LogLevel::warning: logger_.warning(line); break;
    case LogLevel::error: logger_.error(line); break;
    }
}

}  // namespace flowgate::runtime
