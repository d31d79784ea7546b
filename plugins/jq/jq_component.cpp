// The jq component: reshaping (transform) and filtering (filter) messages with jq programs.
#include <array>

#include "filter_step.hpp"
#include "flowgate/plugin.hpp"
#include "transform_step.hpp"

namespace flowgate::plugins::jq {

namespace {

struct Function {
    FunctionSpec spec;
    std::unique_ptr<Step> (*make)(const nlohmann::json& config);
};

class JqComponent final : public ComponentBase {
public:
    JqComponent()
        : functions_{{{transformFunction(), &makeTransformStep},
                      {filterFunction(), &makeFilterStep}}} {
        manifest_ = {.name = "jq",
                     .version = "0.1.0",
                     .description = "Reshapes and filters messages with jq programs (libjq 1.6)."};
        for (const auto& function : functions_) manifest_.functions.push_back(function.spec);
    }

    const Manifest& manifest() const noexcept override { return manifest_; }

protected:
    std::unique_ptr<Step> create(std::string_view function,
                                 const nlohmann::json& config) override {
        for (const auto& candidate : functions_)
            if (candidate.spec.name == function) return candidate.make(config);
        return nullptr;
    }

private:
    const std::array<Function, 2> functions_;
    Manifest manifest_;
};

}  // namespace

}  // namespace flowgate::plugins::jq

FLOWGATE_PLUGIN(flowgate::plugins::jq::JqComponent)
