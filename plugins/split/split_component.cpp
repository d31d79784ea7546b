// The split component: one message per element of an array.
#include "flowgate/plugin.hpp"
#include "split_step.hpp"

namespace flowgate::plugins::split {

namespace {

class SplitComponent final : public ComponentBase {
public:
    SplitComponent() {
        manifest_ = {.name = "split",
                     .version = "0.1.0",
                     .description = "Splits an array in a message into one message per element.",
                     .functions = {splitFunction()}};
    }

    const Manifest& manifest() const noexcept override { return manifest_; }

protected:
    std::unique_ptr<Step> create(std::string_view function, const nlohmann::json& config) override {
        return function == "split" ? makeSplitStep(config) : nullptr;
    }

private:
    Manifest manifest_;
};

}  // namespace

}  // namespace flowgate::plugins::split

FLOWGATE_PLUGIN(flowgate::plugins::split::SplitComponent)
