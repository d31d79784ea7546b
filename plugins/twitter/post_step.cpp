#include "post_step.hpp"

#include <stdexcept>
#include <string>
#include <utility>

#include "oauth1_credential.hpp"
#include "flowgate/outbound_http/outbound_http.hpp"
#include "post_config.hpp"
#include "rate_limit_reset.hpp"
#include "signing/oauth1_signer.hpp"
#include "x_api_answer.hpp"

namespace flowgate::plugins::twitter {

namespace {

std::string answerText(const net::OutboundResponse& response) {
    std::string text = "the X API answered " + std::to_string(response.status);
    if (!response.reason.empty()) text += " " + response.reason;
    const std::string reason = refusalReason(response.body);
    if (!reason.empty()) text += ": " + reason;
    return text;
}

class PostStep final : public StepBase {
public:
    explicit PostStep(PostConfig config) : config_(std::move(config)) {}

protected:
    void run(const Message& input, StepContext& context) override {
        // Checked before anything goes out: a bad text never reaches the API.
        const std::string text = config_.text.textFor(
            input, [&context](std::string_view line) { context.log(LogLevel::debug, line); });
        const auto credentials = oauth1CredentialsFrom(context.credential());
        const auto now = std::chrono::system_clock::now();

        signing::OAuth1Request signing;
        signing.method = "POST";
        signing.url = config_.tweetsUrl;
        signing.nonce = signing::oauth1Nonce();
        signing.timestamp = std::to_string(
            std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());

        net::OutboundRequest request;
        request.method = "POST";
        request.url = config_.tweetsUrl;
        // A JSON body takes no part in the OAuth 1.0a signature (RFC 5849 3.4.1.3.1).
        request.body = nlohmann::json{{"text", text}}.dump();
        request.headers = {
            {"Authorization", signing::oauth1AuthorizationHeader(signing, credentials)},
            {"Content-Type", "application/json"},
            {"Accept", "application/json"}};

        net::OutboundPolicy policy = net::policyFromEngineSettings(context.engineSettings());
        // A signed POST is not replayed to wherever a redirect points.
        policy.maxRedirects = 0;
        net::OutboundResponse response;
        try {
            response = net::send(request, policy);
        } catch (const net::OutboundError& e) {
            throw std::runtime_error(std::string("cannot reach the X API: ") + e.what());
        }

        const int status = response.status;
        if (status >= 200 && status < 300) {
            Message output = input;
            output.body = createdTweet(response.body);
            context.emit(std::move(output));
            return;
        }
        if (status == 429) {
            context.retryLater(rateLimitDelay(response.header("x-rate-limit-reset"), now),
                               answerText(response));
            return;
        }
        if (status == 401 || status == 403)
            throw PermanentFailure(answerText(response) +
                                   " (check the oauth1 credential and the app's write "
                                   "permission)");
        // 5xx (and a 408) fail the attempt and the engine retries with backoff; X's other
        // refusals would refuse every retry the same way: dead-lettered at once.
        if (status >= 500 || status == 408) throw std::runtime_error(answerText(response));
        throw PermanentFailure(answerText(response));
    }

private:
    const PostConfig config_;
};

}  // namespace

FunctionSpec postFunction() {
    return {.name = "post",
            .description =
                "Posts one tweet per message (POST /2/tweets, OAuth 1.0a user context) and "
                "emits the created tweet {id, text} as the body. 429 waits for "
                "x-rate-limit-reset (at most 15 minutes) without counting a failed attempt; "
                "5xx fails the attempt; X's refusal of the credential (401) fails at once.",
            .configSchema = postConfigSchema(),
            .credentialType = kCredentialType};
}

std::unique_ptr<Step> makePostStep(const nlohmann::json& config) {
    return std::make_unique<PostStep>(parsePostConfig(config));
}

}  // namespace flowgate::plugins::twitter
