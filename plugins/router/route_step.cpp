#include "route_step.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "route_config.hpp"

namespace flowgate::plugins::router {

namespace {

class RouteStep final : public StepBase {
public:
    explicit RouteStep(std::shared_ptr<RouteConfig> config) : config_(std::move(config)) {}

protected:
    void run(const Message& input, StepContext& context) override {
        const jq::JqProgram::DebugSink debug = [&context](std::string_view text) {
            context.log(LogLevel::debug, text);
        };
        const nlohmann::json subject =
            config_->scope == RouteConfig::Scope::body ? input.body : nlohmann::json(input);

        // Every condition that decides is evaluated before anything is emitted, so a
        // condition that fails the run (a jq error) fails it whole, whatever came before.
        std::vector<const std::string*> targets;
        for (const Branch& branch : config_->branches) {
            if (!branch.condition->firstOutputIsTruthy(subject, debug)) continue;
            targets.push_back(&branch.name);
            if (config_->mode == RouteConfig::Mode::first) break;
        }
        if (targets.empty()) {
            if (!config_->fallback) {
                context.log(LogLevel::debug, "no branch matched and no default: message " +
                                                 input.id + " goes no further");
                return;
            }
            targets.push_back(&*config_->fallback);
        }
        for (const std::string* name : targets) context.forwardTo(*name, input);
    }

private:
    const std::shared_ptr<RouteConfig> config_;  // read-only; its programs are thread-safe
};

}  // namespace

std::unique_ptr<Step> makeRouteStep(const nlohmann::json& config) {
    return std::make_unique<RouteStep>(parseRouteConfig(config));
}

}  // namespace flowgate::plugins::router
