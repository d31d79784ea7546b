// The "shout" component: one function, "mark", that adds "shout": true to the body.
#include "flowgate/plugin.hpp"

class ShoutStep final : public flowgate::StepBase {
protected:
    void run(const flowgate::Message& in, flowgate::StepContext& ctx) override {
        flowgate::Message out = in;
        out.body["shout"] = true;
        ctx.emit(std::move(out));  // throw to fail the attempt: it is retried, then dead-lettered
    }
};

class ShoutComponent final : public flowgate::ComponentBase {
public:
    ShoutComponent() {
        manifest_ = {"shout", "1.0.0", "Marks messages as shouted.",
                     {{"mark", "Adds shout: true", nlohmann::json{{"type", "object"}}, "", {}}}};
    }
    const flowgate::Manifest& manifest() const noexcept override { return manifest_; }

protected:
    std::unique_ptr<flowgate::Step> create(std::string_view fn, const nlohmann::json&) override {
        return fn == "mark" ? std::make_unique<ShoutStep>() : nullptr;
    }

private:
    flowgate::Manifest manifest_;
};

FLOWGATE_PLUGIN(ShoutComponent)
