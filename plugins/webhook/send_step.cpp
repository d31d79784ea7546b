#include "send_step.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

#include <Poco/URI.h>

#include "flowgate/outbound_http/outbound_http.hpp"
#include "flowgate/outbound_http/retry_after.hpp"
#include "send_config.hpp"
#include "signing/standard_webhooks_signer.hpp"

namespace flowgate::plugins::webhook {

namespace {

// A receiver that says nothing readable gets a minute; none may park the item for more
// than an hour, nor have it re-sent in under a second.
std::chrono::milliseconds waitBeforeResend(std::string_view retryAfter,
                                           std::chrono::system_clock::time_point now) {
    const auto asked = net::parseRetryAfter(retryAfter, now);
    if (!asked) return std::chrono::seconds(60);
    return std::clamp<std::chrono::milliseconds>(*asked, std::chrono::seconds(1),
                                                 std::chrono::hours(1));
}

// The credential is the one a receiving flow's trigger uses (type "hmac", preset
// "standard-webhooks"), so both ends of a webhook can share one credential file. The
// engine checked it against sendCredentialType() when the flow loaded; what is left (a
// base64 that decodes to nothing) no retry can fix.
signing::StandardWebhooksSigner signerFor(const nlohmann::json& credential) {
    if (!credential.is_object() || !credential.contains("secrets"))
        throw PermanentFailure("the send step needs its Standard Webhooks credential");
    try {
        return signing::StandardWebhooksSigner(
            credential.at("secrets").get<std::vector<std::string>>());
    } catch (const std::exception& e) {
        throw PermanentFailure(std::string("credential: ") + e.what());
    }
}

// The receiver's host and port, for messages: the rest of a webhook URL often carries a
// token (Slack's do in the path), and step errors are logged.
std::string receiverName(const std::string& url) {
    const Poco::URI uri(url);
    return uri.getHost() + ":" + std::to_string(uri.getPort());
}

// The outbound client's errors name the URL without its query; the path goes too.
std::string withoutPath(std::string text, const std::string& url) {
    std::string path = Poco::URI(url).getPathAndQuery();
    path = path.substr(0, path.find('?'));
    if (path.size() <= 1) return text;
    for (auto at = text.find(path); at != std::string::npos; at = text.find(path, at + 2))
        text.replace(at, path.size(), "/…");
    return text;
}

class SendStep final : public StepBase {
public:
    explicit SendStep(SendConfig config)
        : config_(std::move(config)), receiver_(receiverName(config_.url)) {}

protected:
    void run(const Message& input, StepContext& context) override {
        const auto signer = signerFor(context.credential());
        // The same id on every attempt of this work item lets receivers drop a delivery
        // they already took; the message id alone repeats across steps of an execution.
        const std::string id = input.id + "/" + std::string(context.stepId());
        const auto now = std::chrono::system_clock::now();
        const std::string timestamp = std::to_string(
            std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());

        net::OutboundRequest request;
        request.method = "POST";
        request.url = config_.url;
        request.body = input.body.dump();
        request.headers = config_.headers;
        request.headers.emplace_back("Content-Type", "application/json");
        request.headers.emplace_back("webhook-id", id);
        request.headers.emplace_back("webhook-timestamp", timestamp);
        request.headers.emplace_back("webhook-signature", signer.sign(id, timestamp, request.body));

        net::OutboundPolicy policy = net::policyFromEngineSettings(context.engineSettings());
        policy.timeout = config_.timeout;
        policy.connectTimeout = std::min(policy.connectTimeout, config_.timeout);
        // A signed POST is not replayed to wherever a redirect points.
        policy.maxRedirects = 0;

        net::OutboundResponse response;
        try {
            response = net::send(request, policy);
        } catch (const net::OutboundError& e) {
            throw std::runtime_error("delivery to " + receiver_ +
                                     " failed: " + withoutPath(e.what(), config_.url));
        }
        const int status = response.status;
        if (status >= 200 && status < 300) {
            context.forward(input);
            return;
        }
        const std::string answer =
            "receiver " + receiver_ + " answered " + std::to_string(status) + " " + response.reason;
        if (status == 429) {
            context.retryLater(waitBeforeResend(response.header("retry-after"), now), answer);
            return;
        }
        // 5xx and timeouts fail the attempt and the engine retries with backoff; so does
        // any other answer, which the flow's retry policy then dead-letters.
        throw std::runtime_error(answer);
    }

private:
    const SendConfig config_;
    const std::string receiver_;
};

}  // namespace

CredentialType sendCredentialType() {
    return {.name = "hmac",
            .description = "Standard Webhooks secrets (\"whsec_<base64>\"); several while a "
                           "secret is rotated.",
            .schema = nlohmann::json::parse(R"({
              "type": "object",
              "required": ["preset", "secrets"],
              "properties": {
                "preset": {"const": "standard-webhooks"},
                "secrets": {"type": "array", "minItems": 1,
                            "items": {"type": "string", "pattern": "^(whsec_)?[A-Za-z0-9+/]+={0,2}$",
                                      "writeOnly": true}}
              }
            })")};
}

FunctionSpec sendFunction() {
    return {.name = "send",
            .description =
                "POSTs the message body as JSON to `url` with webhook-id (the same on every "
                "retry), webhook-timestamp and webhook-signature (Standard Webhooks v1), then "
                "passes the message on unchanged. 5xx and network errors fail the attempt (the "
                "engine retries with backoff); 429 retries after Retry-After.",
            .configSchema = sendConfigSchema(),
            .credentialType = "hmac"};
}

std::unique_ptr<Step> makeSendStep(const nlohmann::json& config) {
    return std::make_unique<SendStep>(parseSendConfig(config));
}

}  // namespace flowgate::plugins::webhook
