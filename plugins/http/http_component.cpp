// The http component: calls another system over HTTP(S) for each message, through the
// shared outbound client (internal addresses refused unless the engine allows them).
#include "flowgate/plugin.hpp"
#include "http_auth.hpp"
#include "request_config.hpp"
#include "request_step.hpp"

namespace flowgate::plugins::http {

namespace {

constexpr const char* kRequest = "request";
constexpr const char* kAuthorizedRequest = "authorizedRequest";

class HttpComponent final : public ComponentBase {
public:
    HttpComponent() {
        manifest_ = {
            .name = "http",
            .version = "0.1.0",
            .description = "Sends an HTTP(S) request per message; the response is the output.",
            .functions =
                {{.name = kRequest,
                  .description =
                      "Sends the request; the output body is {status, headers, body}. 5xx, 429 "
                      "and network errors fail the attempt (429 with Retry-After waits that long).",
                  .configSchema = requestConfigSchema()},
                 // A separate function because a function's credential type makes the
                 // credential required, and most calls need none.
                 {.name = kAuthorizedRequest,
                  .description = "Like request, authenticated with the step's http-auth "
                                 "credential (basic, bearer or a named header).",
                  .configSchema = requestConfigSchema(),
                  .credentialType = kHttpAuth}},
            .credentialTypes = {httpAuthCredentialType()}};
    }

    const Manifest& manifest() const noexcept override { return manifest_; }

protected:
    std::unique_ptr<Step> create(std::string_view function, const nlohmann::json& config) override {
        const bool authorized = function == kAuthorizedRequest;
        if (function != kRequest && !authorized) return nullptr;
        return makeRequestStep(std::make_shared<const RequestConfig>(parseRequestConfig(config)),
                               authorized);
    }

private:
    Manifest manifest_;
};

}  // namespace

}  // namespace flowgate::plugins::http

FLOWGATE_PLUGIN(flowgate::plugins::http::HttpComponent)
