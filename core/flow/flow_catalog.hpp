// The flows in force right now. Readers take a snapshot and use it without locks; a
// reload swaps in a whole new FlowSet, and work in progress keeps the old one alive.
#pragma once

#include <memory>
#include <mutex>

#include "flow/flow.hpp"

namespace flowgate::flow {

class FlowCatalog {
public:
    std::shared_ptr<const FlowSet> snapshot() const {
        std::lock_guard lock(mutex_);
        return flows_;
    }
    void replace(std::shared_ptr<const FlowSet> flows) {
        std::lock_guard lock(mutex_);
        flows_ = std::move(flows);
    }
    // The flow with `id`, or null if there is none or it is disabled.
    std::shared_ptr<const Flow> findEnabled(std::string_view id) const {
        auto flow = snapshot()->find(id);
        return flow && flow->enabled ? flow : nullptr;
    }

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const FlowSet> flows_ = std::make_shared<FlowSet>();
};

}  // namespace flowgate::flow
