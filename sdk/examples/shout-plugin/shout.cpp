// The "shout" component: one function, "mark", that sets a field of the body to true.
#include <string>

#include "flowgate/plugin.hpp"

class ShoutStep final : public flowgate::StepBase {
public:
    explicit ShoutStep(std::string field) : field_(std::move(field)) {}

protected:
    void run(const flowgate::Message& in, flowgate::StepContext& ctx) override {
        // No retry can make the body an object: dead-letter at once, with the reason.
        if (!in.body.is_object()) throw flowgate::PermanentFailure("the body is not a JSON object");
        flowgate::Message out = in;
        out.body[field_] = true;
        ctx.emit(std::move(out));  // other exceptions fail the attempt: retried, then dead-lettered
    }

private:
    const std::string field_;
};

class ShoutComponent final : public flowgate::ComponentBase {
public:
    const flowgate::Manifest& manifest() const noexcept override { return manifest_; }

protected:
    std::unique_ptr<flowgate::Step> create(std::string_view fn, const nlohmann::json& config) override {
        // The engine has checked `config` against the schema and filled in its defaults.
        if (fn != "mark") return nullptr;
        return std::make_unique<ShoutStep>(config.at("field").get<std::string>());
    }

private:
    const flowgate::Manifest manifest_{
        .name = "shout",
        .version = "2.0.0",
        .description = "Marks messages as shouted.",
        .functions = {{.name = "mark",
                       .description = "Sets `field` of the body to true.",
                       .configSchema = {{"type", "object"},
                                        {"properties",
                                         {{"field",
                                           {{"type", "string"}, {"minLength", 1}, {"default", "shout"}}}}},
                                        {"additionalProperties", false}}}}};
};

FLOWGATE_PLUGIN(ShoutComponent)
