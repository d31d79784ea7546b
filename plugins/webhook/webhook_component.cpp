// The webhook component in the middle of a flow: `send` delivers the message to a URL,
// signed the Standard Webhooks way; `wait` pauses an execution until its resume URL is
// called. Each function lives in its own files and is one entry of the table below.
#include <array>

#include "flowgate/plugin.hpp"
#include "send_step.hpp"
#include "wait_step.hpp"

namespace flowgate::plugins::webhook {

namespace {

struct Function {
    FunctionSpec spec;
    std::unique_ptr<Step> (*make)(const nlohmann::json& config);
};

std::unique_ptr<Step> makeWaitStep(const nlohmann::json& config) {
    return std::make_unique<WaitStep>(config);
}

class WebhookComponent final : public ComponentBase {
public:
    WebhookComponent()
        : functions_{{{sendFunction(), &makeSendStep}, {waitFunctionSpec(), &makeWaitStep}}} {
        manifest_ = {.name = "webhook",
                     .version = "0.1.0",
                     .description = "Webhooks in the middle of a flow: send signed deliveries, "
                                    "wait for a resume call.",
                     .credentialTypes = {sendCredentialType()}};
        for (const auto& function : functions_) manifest_.functions.push_back(function.spec);
    }

    const Manifest& manifest() const noexcept override { return manifest_; }

protected:
    std::unique_ptr<Step> create(std::string_view function, const nlohmann::json& config) override {
        for (const auto& candidate : functions_)
            if (candidate.spec.name == function) return candidate.make(config);
        return nullptr;
    }

private:
    const std::array<Function, 2> functions_;
    Manifest manifest_;
};

}  // namespace

}  // namespace flowgate::plugins::webhook

FLOWGATE_PLUGIN(flowgate::plugins::webhook::WebhookComponent)
