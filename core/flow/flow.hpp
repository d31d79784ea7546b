// The flow model: a webhook trigger and the steps a message goes through. Built once by
// the flow loader from a validated file and immutable afterwards, so workers and HTTP
// threads share it without locks.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/engine_config.hpp"
#include "flowgate/step.hpp"

namespace flowgate::flow {

struct StepDef {
    std::string id;
    std::string component;
    std::string function;
    nlohmann::json config;
    nlohmann::json credential;   // resolved credential document, null if none
    std::shared_ptr<Step> step;  // holds its plugin library loaded
    // Where each output goes: "default" for emit(), other names for emitTo(). An output
    // that is not listed ends that branch of the execution.
    std::map<std::string, std::string, std::less<>> next;
};

struct WebhookTrigger {
    std::string responseMode = "async";
};

struct Flow {
    std::string id;
    std::string file;
    std::string description;
    bool enabled = true;
    WebhookTrigger trigger;
    config::RetryPolicy retry;
    std::vector<StepDef> steps;  // steps[0] receives the webhook's message

    const StepDef* findStep(std::string_view stepId) const;
    // The step that receives what `from` emits on `output`; null if none.
    const StepDef* nextStep(const StepDef& from, std::string_view output) const;
};

// The flows the engine runs, by id. Replaced as a whole when flows are reloaded.
class FlowSet {
public:
    void add(std::shared_ptr<const Flow> flow);
    std::shared_ptr<const Flow> find(std::string_view id) const;
    const std::map<std::string, std::shared_ptr<const Flow>, std::less<>>& all() const {
        return flows_;
    }

private:
    std::map<std::string, std::shared_ptr<const Flow>, std::less<>> flows_;
};

}  // namespace flowgate::flow
