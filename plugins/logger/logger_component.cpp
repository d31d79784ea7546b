// The logger component: logs messages as JSON lines as they pass through a flow.
#include "flowgate/plugin.hpp"
#include "log_step.hpp"

namespace flowgate::plugins::logger {

namespace {

class LoggerComponent final : public ComponentBase {
public:
    LoggerComponent() {
        manifest_ = {.name = "logger",
                     .version = "0.1.0",
                     .description = "Logs messages as JSON lines, to the engine log or a file.",
                     .functions = {logFunction()}};
    }

    const Manifest& manifest() const noexcept override { return manifest_; }

protected:
    std::unique_ptr<Step> create(std::string_view function,
                                 const nlohmann::json& config) override {
        if (function == manifest_.functions.front().name) return makeLogStep(config);
        return nullptr;
    }

private:
    Manifest manifest_;
};

}  // namespace

}  // namespace flowgate::plugins::logger

FLOWGATE_PLUGIN(flowgate::plugins::logger::LoggerComponent)
