// A reload's freshly loaded flows combined with the running ones, file by file: a flow
// file that is now broken keeps its running version, an unchanged flow keeps its very
// objects (steps and all), everything else takes the new version.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "flow/flow.hpp"
#include "flow/flow_loader.hpp"

namespace flowgate::flow {

// What a reload changed, by flow id (files for `refused`).
struct FlowChanges {
    std::vector<std::string> added;    // new ids, including flows that could not start before
    std::vector<std::string> updated;  // same id, new document or credentials
    std::vector<std::string> removed;  // file gone, or its id taken by another file
    std::vector<std::string> kept;     // file now refused: the previous version runs on
    std::vector<std::string> refused;  // files with errors and nothing running from them

    bool anyFlowChanged() const { return !added.empty() || !updated.empty() || !removed.empty(); }
};

struct MergedFlows {
    std::shared_ptr<const FlowSet> flows;
    FlowChanges changes;
};

// `running` is the catalog's current set; `fresh` what loadFlows made of the files now.
// Pure: builds a new set and touches neither input.
MergedFlows mergeFlows(const FlowSet& running, const FlowLoadResult& fresh);

}  // namespace flowgate::flow
