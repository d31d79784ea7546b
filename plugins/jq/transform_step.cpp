#include "transform_step.hpp"

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "jq/jq_program.hpp"

namespace flowgate::plugins::jq {

namespace {

// A runaway program (`repeat(.)`) fails its attempt instead of flooding the queue.
constexpr std::size_t kMaxOutputs = 10000;

enum class Scope { body, message };

// `input` with `body` instead of its own; the input's body is not copied only to be
// replaced.
Message withBody(const Message& input, nlohmann::json body) {
    return Message{input.id, std::move(body), input.headers, input.attachments, input.meta};
}

// With scope "message" an output stands for the message: the body, headers and meta it
// holds replace the input's. The engine owns id and attachments, so an output may repeat
// them (as `.meta.x = 1` does) but not change them.
Message applyToMessage(const Message& input, nlohmann::json output) {
    if (!output.is_object())
        throw std::runtime_error(std::string("with scope \"message\", a jq output must be an "
                                             "object, not ") +
                                 output.type_name());
    Message message = input;
    for (auto it = output.begin(); it != output.end(); ++it) {
        const std::string& field = it.key();
        if (field == "body") {
            message.body = std::move(it.value());
        } else if (field == "headers" || field == "meta") {
            if (!it->is_object())
                throw std::runtime_error("jq output field \"" + field + "\" must be an object");
            (field == "headers" ? message.headers : message.meta) = std::move(it.value());
        } else if (field == "id") {
            if (*it != input.id) throw std::runtime_error("a jq output cannot change the id");
        } else if (field == "attachments") {
            if (*it != nlohmann::json(input.attachments))
                throw std::runtime_error("a jq output cannot change the attachments");
        } else {
            throw std::runtime_error("jq output has an unknown message field \"" + field +
                                     "\" (known: id, body, headers, attachments, meta)");
        }
    }
    return message;
}

class TransformStep final : public StepBase {
public:
    TransformStep(std::string expression, Scope scope)
        : program_(std::move(expression)), scope_(scope) {}

protected:
    void run(const Message& input, StepContext& context) override {
        const JqProgram::DebugSink debug = [&context](std::string_view text) {
            context.log(LogLevel::debug, text);
        };
        if (scope_ == Scope::body) {
            for (auto& output : program_.outputs(input.body, kMaxOutputs, debug))
                context.emit(withBody(input, std::move(output)));
            return;
        }
        // Every output is checked before any is emitted.
        std::vector<Message> messages;
        for (auto& output : program_.outputs(nlohmann::json(input), kMaxOutputs, debug))
            messages.push_back(applyToMessage(input, std::move(output)));
        for (auto& message : messages) context.emit(std::move(message));
    }

private:
    JqProgram program_;
    const Scope scope_;
};

}  // namespace

FunctionSpec transformFunction() {
    using json = nlohmann::json;
    json schema = {
        {"type", "object"},
        {"properties",
         {{"expression",
           {{"type", "string"},
            {"minLength", 1},
            {"description", "The jq program (jq 1.6), e.g. \"{text: .title}\"."}}},
          {"scope",
           {{"type", "string"},
            {"enum", json::array({"body", "message"})},
            {"default", "body"},
            {"description",
             "What the program sees: the body, or the whole message {id, body, headers, "
             "attachments, meta}. With \"message\", each output must be an object whose "
             "body, headers and meta replace the message's."}}}}},
        {"required", json::array({"expression"})},
        {"additionalProperties", false}};
    return {.name = "transform",
            .description =
                "Runs a jq program on each message; every output of the program becomes a "
                "message (none: the message goes no further).",
            .configSchema = std::move(schema),
            .pure = true};  // a jq program sees only its input: safe to run twice
}

std::unique_ptr<Step> makeTransformStep(const nlohmann::json& config) {
    const Scope scope = config.at("scope") == "message" ? Scope::message : Scope::body;
    return std::make_unique<TransformStep>(config.at("expression").get<std::string>(), scope);
}

}  // namespace flowgate::plugins::jq
