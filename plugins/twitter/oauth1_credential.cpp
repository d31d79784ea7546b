#include "oauth1_credential.hpp"

#include <stdexcept>
#include <string>

namespace flowgate::plugins::twitter {

namespace {

std::string field(const nlohmann::json& credential, const char* name) {
    const auto it = credential.find(name);
    if (it == credential.end() || !it->is_string() || it->get_ref<const std::string&>().empty())
        throw std::runtime_error(std::string("the oauth1 credential has no \"") + name + "\"");
    return it->get<std::string>();
}

}  // namespace

signing::OAuth1Credentials oauth1CredentialsFrom(const nlohmann::json& credential) {
    if (!credential.is_object())
        throw std::runtime_error("the post step needs a credential of type \"oauth1\"");
    return {field(credential, "consumerKey"), field(credential, "consumerSecret"),
            field(credential, "accessToken"), field(credential, "accessTokenSecret")};
}

}  // namespace flowgate::plugins::twitter
