#include "wait_step.hpp"

#include <stdexcept>
#include <string>

namespace flowgate::plugins::webhook {

using nlohmann::json;

namespace {

constexpr long long kDefaultTimeoutMs = 24LL * 3600 * 1000;

// True if meta[key] is an object naming this step: the engine records which step waited
// (meta.wait) and which step a call resumed (meta.resume), so a second wait step later in
// the flow does not take the first one's resume for its own.
bool namesStep(const json& meta, const char* key, std::string_view stepId) {
    if (!meta.is_object()) return false;
    auto it = meta.find(key);
    if (it == meta.end() || !it->is_object()) return false;
    auto step = it->find("step");
    return step != it->end() && step->is_string() && step->get_ref<const std::string&>() == stepId;
}

}  // namespace

FunctionSpec waitFunctionSpec() {
    FunctionSpec spec;
    spec.name = "wait";
    spec.description =
        "Pauses the execution until its resume URL (meta.resumeUrl) is called or the timeout "
        "passes; the call's body becomes the message body.";
    spec.configSchema = json::parse(R"({
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "timeoutMs": {"type": "integer", "minimum": 1000, "maximum": 2592000000},
        "onTimeout": {"enum": ["fail", "continue"]}
      }
    })");
    spec.outputs = {"timeout"};
    spec.pausesExecution = true;
    return spec;
}

WaitStep::WaitStep(const json& config)
    : timeout_(config.value("timeoutMs", kDefaultTimeoutMs)),
      onTimeout_(config.value("onTimeout", "fail") == "continue" ? OnTimeout::continueOnTimeoutOutput
                                                                 : OnTimeout::fail) {}

void WaitStep::run(const Message& input, StepContext& context) {
    if (namesStep(input.meta, "resume", context.stepId())) {
        Message resumed = input;
        resumed.body = input.meta.at("resume").value("body", json::object());
        context.emit(std::move(resumed));
        return;
    }
    if (namesStep(input.meta, "wait", context.stepId())) {
        if (onTimeout_ == OnTimeout::fail)
            throw std::runtime_error("the resume URL was not called within " +
                                     std::to_string(timeout_.count()) + " ms");
        Message timedOut = input;
        timedOut.meta.erase("wait");
        context.emitTo("timeout", std::move(timedOut));
        return;
    }
    context.waitForResume(timeout_);
}

}  // namespace flowgate::plugins::webhook
