// The webhook component in the middle of a flow: `wait` pauses an execution until its
// resume URL is called.
#include "flowgate/plugin.hpp"
#include "wait_step.hpp"

namespace flowgate::plugins::webhook {

namespace {

class WebhookComponent final : public ComponentBase {
public:
    WebhookComponent() {
        manifest_.name = "webhook";
        manifest_.version = "0.1.0";
        manifest_.description = "Webhooks in the middle of a flow.";
        manifest_.functions.push_back(waitFunctionSpec());
    }

    const Manifest& manifest() const noexcept override { return manifest_; }

protected:
    std::unique_ptr<Step> create(std::string_view function, const nlohmann::json& config) override {
        if (function == "wait") return std::make_unique<WaitStep>(config);
        return nullptr;
    }

private:
    Manifest manifest_;
};

}  // namespace

}  // namespace flowgate::plugins::webhook

FLOWGATE_PLUGIN(flowgate::plugins::webhook::WebhookComponent)
