// The twitter component: posts to X (Twitter) through the X API v2 with OAuth 1.0a
// user-context signing.
#include "flowgate/plugin.hpp"
#include "oauth1_credential.hpp"
#include "post_step.hpp"

namespace flowgate::plugins::twitter {

namespace {

class TwitterComponent final : public ComponentBase {
public:
    TwitterComponent() {
        manifest_ = {.name = "twitter",
                     .version = "0.1.0",
                     .description = "Posts tweets through the X API v2 (OAuth 1.0a user context).",
                     .functions = {postFunction()},
                     .credentialTypes = {oauth1CredentialType()}};
    }

    const Manifest& manifest() const noexcept override { return manifest_; }

protected:
    std::unique_ptr<Step> create(std::string_view function, const nlohmann::json& config) override {
        if (function == manifest_.functions.front().name) return makePostStep(config);
        return nullptr;
    }

private:
    Manifest manifest_;
};

}  // namespace

}  // namespace flowgate::plugins::twitter

FLOWGATE_PLUGIN(flowgate::plugins::twitter::TwitterComponent)
