// The http-reply component: answers the caller of a sync flow with the message.
//
// Config: {"status": 200, "headers": {"X-Any": "v"}, "body": <optional>}. Without "body"
// the message body is the answer (a string as is, anything else as JSON). The message
// goes on unchanged, so the flow can keep working after it answered.
#include <optional>

#include "flowgate/plugin.hpp"

namespace flowgate::plugins::http_reply {

namespace {

using nlohmann::json;

struct ReplyConfig {
    int status = 200;
    std::map<std::string, std::string> headers;
    std::optional<json> body;
};

std::pair<std::string, std::string> render(const json& value) {
    if (value.is_string()) return {value.get<std::string>(), "text/plain; charset=utf-8"};
    return {value.dump(), "application/json"};
}

class ReplyStep final : public StepBase {
public:
    explicit ReplyStep(std::shared_ptr<const ReplyConfig> config) : config_(std::move(config)) {}

protected:
    void run(const Message& input, StepContext& context) override {
        HttpReply reply;
        reply.status = config_->status;
        auto [body, contentType] = render(config_->body ? *config_->body : input.body);
        reply.body = std::move(body);
        reply.headers["Content-Type"] = std::move(contentType);
        for (const auto& [name, value] : config_->headers) reply.headers[name] = value;
        context.reply(std::move(reply));
        context.forward(input);
    }

private:
    std::shared_ptr<const ReplyConfig> config_;
};

class HttpReplyComponent final : public ComponentBase {
public:
    HttpReplyComponent() {
        manifest_ = {
            .name = "http-reply",
            .version = "0.1.0",
            .description = "Answers the caller of a sync flow.",
            .functions = {{.name = "reply",
                           .description = "Sends status, headers and body (default: the message "
                                          "body) to the waiting caller.",
                           .configSchema = json::parse(R"({
                             "type": "object",
                             "additionalProperties": false,
                             "properties": {
                               "status":  {"type": "integer", "minimum": 100, "maximum": 599,
                                           "default": 200},
                               "headers": {"type": "object", "additionalProperties": {"type": "string"},
                                           "default": {}},
                               "body":    {}
                             }
                           })")}}};
    }

    const Manifest& manifest() const noexcept override { return manifest_; }

protected:
    std::unique_ptr<Step> create(std::string_view function, const json& config) override {
        if (function != "reply") return nullptr;
        auto parsed = std::make_shared<ReplyConfig>();
        parsed->status = config.at("status");
        parsed->headers = config.at("headers").get<std::map<std::string, std::string>>();
        if (config.contains("body")) parsed->body = config.at("body");
        return std::make_unique<ReplyStep>(std::move(parsed));
    }

private:
    Manifest manifest_;
};

}  // namespace

}  // namespace flowgate::plugins::http_reply

FLOWGATE_PLUGIN(flowgate::plugins::http_reply::HttpReplyComponent)
