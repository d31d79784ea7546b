#include "wait_step.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>

#include "flowgate/resume.hpp"

namespace flowgate::plugins::webhook {

using nlohmann::json;

FunctionSpec waitFunctionSpec() {
    return {.name = "wait",
            .description = "Pauses the execution until its resume URL (meta.resumeUrl) is "
                           "called or the timeout passes; the call's body becomes the message "
                           "body.",
            .configSchema = json::parse(R"({
              "type": "object",
              "additionalProperties": false,
              "properties": {
                "timeoutMs": {"type": "integer", "minimum": 1000, "maximum": 2592000000,
                              "default": 86400000},
                "onTimeout": {"enum": ["fail", "continue"], "default": "fail"}
              }
            })"),
            .outputs = {"timeout"},
            .pausesExecution = true};
}

WaitStep::WaitStep(const json& config)
    : timeout_(config.at("timeoutMs").get<std::int64_t>()),
      onTimeout_(config.at("onTimeout") == "continue" ? OnTimeout::continueOnTimeoutOutput
                                                      : OnTimeout::fail) {}

void WaitStep::run(const Message& input, StepContext& context) {
    const WaitState state = waitStateOf(input, context.stepId());
    if (const ResumeCall* call = state.resumed()) {
        Message resumed = input;
        resumed.body = call->body;
        context.emit(std::move(resumed));
        return;
    }
    if (state.timedOut()) {
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
