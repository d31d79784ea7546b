#include "flow/flow_merge.hpp"

#include <set>

namespace flowgate::flow {

MergedFlows mergeFlows(const FlowSet& running, const FlowLoadResult& fresh) {
    MergedFlows merged;
    auto& changes = merged.changes;
    auto next = std::make_shared<FlowSet>();

    for (const auto& [id, flow] : fresh.flows->all()) {
        auto previous = running.find(id);
        const bool same = previous && previous->file == flow->file && !flow->fingerprint.empty() &&
                          previous->fingerprint == flow->fingerprint;
        if (same) {
            // Keep the running object: its steps (and any state they hold) carry on.
            next->add(previous);
            continue;
        }
        next->add(flow);
        (previous ? changes.updated : changes.added).push_back(id);
    }

    std::set<std::string> brokenFiles;
    for (const auto& error : fresh.errors) brokenFiles.insert(error.file);
    std::set<std::string> keptFiles;
    for (const auto& [id, flow] : running.all()) {
        if (next->find(id)) continue;
        if (brokenFiles.contains(flow->file)) {
            next->add(flow);
            changes.kept.push_back(id);
            keptFiles.insert(flow->file);
        } else {
            changes.removed.push_back(id);
        }
    }
    for (const auto& file : brokenFiles)
        if (!keptFiles.contains(file)) changes.refused.push_back(file);

    merged.flows = std::move(next);
    return merged;
}

}  // namespace flowgate::flow
