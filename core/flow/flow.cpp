#include "flow/flow.hpp"

namespace flowgate::flow {

const StepDef* Flow::findStep(std::string_view stepId) const {
    for (const auto& step : steps)
        if (step.id == stepId) return &step;
    return nullptr;
}

const StepDef* Flow::nextStep(const StepDef& from, std::string_view output) const {
    auto it = from.next.find(output);
    return it == from.next.end() ? nullptr : findStep(it->second);
}

void FlowSet::add(std::shared_ptr<const Flow> flow) {
    const std::string id = flow->id;
    flows_[id] = std::move(flow);
}

std::shared_ptr<const Flow> FlowSet::find(std::string_view id) const {
    auto it = flows_.find(id);
    return it == flows_.end() ? nullptr : it->second;
}

}  // namespace flowgate::flow
