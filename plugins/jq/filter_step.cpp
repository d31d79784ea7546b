#include "filter_step.hpp"

#include <string>
#include <utility>

#include "jq/jq_program.hpp"

namespace flowgate::plugins::jq {

namespace {

class FilterStep final : public StepBase {
public:
    explicit FilterStep(std::string expression) : program_(std::move(expression)) {}

protected:
    void run(const Message& input, StepContext& context) override {
        const JqProgram::DebugSink debug = [&context](std::string_view text) {
            context.log(LogLevel::debug, text);
        };
        if (program_.firstOutputIsTruthy(input.body, debug)) context.forward(input);
    }

private:
    JqProgram program_;
};

}  // namespace

FunctionSpec filterFunction() {
    using json = nlohmann::json;
    json schema = {
        {"type", "object"},
        {"properties",
         {{"expression",
           {{"type", "string"},
            {"minLength", 1},
            {"description",
             "The jq program (jq 1.6) run on the body, e.g. \".amount > 100\"."}}}}},
        {"required", json::array({"expression"})},
        {"additionalProperties", false}};
    return {.name = "filter",
            .description =
                "Passes a message on unchanged if the first output of a jq program run on its "
                "body is neither false nor null; otherwise the message goes no further.",
            .configSchema = std::move(schema),
            .pure = true};  // a jq program sees only its input: safe to run twice
}

std::unique_ptr<Step> makeFilterStep(const nlohmann::json& config) {
    return std::make_unique<FilterStep>(config.at("expression").get<std::string>());
}

}  // namespace flowgate::plugins::jq
