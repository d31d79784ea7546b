#include "oauth1_credential.hpp"

#include <stdexcept>
#include <string>

#include "flowgate/step.hpp"

namespace flowgate::plugins::twitter {

namespace {

std::string field(const nlohmann::json& credential, const char* name) {
    const auto it = credential.find(name);
    if (it == credential.end() || !it->is_string() || it->get_ref<const std::string&>().empty())
        throw PermanentFailure(std::string("the oauth1 credential has no \"") + name + "\"");
    return it->get<std::string>();
}

}  // namespace

CredentialType oauth1CredentialType() {
    const nlohmann::json secret = {{"type", "string"}, {"minLength", 1}, {"writeOnly", true}};
    return {.name = kCredentialType,
            .description = "The X app's consumer keys and the user's access token (OAuth 1.0a).",
            .schema = {{"type", "object"},
                       {"required", {"consumerKey", "consumerSecret", "accessToken",
                                     "accessTokenSecret"}},
                       {"properties",
                        {{"consumerKey", {{"type", "string"}, {"minLength", 1}}},
                         {"consumerSecret", secret},
                         {"accessToken", {{"type", "string"}, {"minLength", 1}}},
                         {"accessTokenSecret", secret}}}}};
}

signing::OAuth1Credentials oauth1CredentialsFrom(const nlohmann::json& credential) {
    if (!credential.is_object())
        throw PermanentFailure("the post step needs a credential of type \"oauth1\"");
    return {field(credential, "consumerKey"), field(credential, "consumerSecret"),
            field(credential, "accessToken"), field(credential, "accessTokenSecret")};
}

}  // namespace flowgate::plugins::twitter
