// The router component: content-based routing of messages to named branches.
#include "flowgate/plugin.hpp"
#include "route_config.hpp"
#include "route_step.hpp"

namespace flowgate::plugins::router {

namespace {

class RouterComponent final : public ComponentBase {
public:
    RouterComponent() {
        manifest_ = {.name = "router",
                     .version = "0.1.0",
                     .description = "Routes messages to named branches by jq conditions (libjq 1.6).",
                     .functions = {routeFunction()}};
    }

    const Manifest& manifest() const noexcept override { return manifest_; }

protected:
    std::unique_ptr<Step> create(std::string_view function, const nlohmann::json& config) override {
        return function == "route" ? makeRouteStep(config) : nullptr;
    }

private:
    Manifest manifest_;
};

}  // namespace

}  // namespace flowgate::plugins::router

FLOWGATE_PLUGIN(flowgate::plugins::router::RouterComponent)
