// webhook.wait: pauses the execution until its resume URL (meta.resumeUrl) is called.
//
// Config: {"timeoutMs": 86400000, "onTimeout": "fail" | "continue"}.
// Resumed: the message goes on with the call's body as its body (the call itself stays in
// meta.resume). Timed out: "fail" fails the step (dead letter after the flow's attempts),
// "continue" sends the unchanged message to the "timeout" output.
#pragma once

#include <chrono>
#include <memory>

#include <nlohmann/json.hpp>

#include "flowgate/component.hpp"
#include "flowgate/step.hpp"

namespace flowgate::plugins::webhook {

FunctionSpec waitFunctionSpec();

class WaitStep final : public StepBase {
public:
    enum class OnTimeout { fail, continueOnTimeoutOutput };

    // `config` has passed waitFunctionSpec()'s schema.
    explicit WaitStep(const nlohmann::json& config);

protected:
    void run(const Message& input, StepContext& context) override;

private:
    std::chrono::milliseconds timeout_;
    OnTimeout onTimeout_;
};

}  // namespace flowgate::plugins::webhook
