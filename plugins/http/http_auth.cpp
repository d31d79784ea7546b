#include "http_auth.hpp"

#include "flowgate/common/byte_encoding.hpp"
#include "flowgate/step.hpp"

namespace flowgate::plugins::http {

namespace {

std::string field(const nlohmann::json& credential, const char* name) {
    const auto it = credential.find(name);
    if (it == credential.end() || !it->is_string() || it->get_ref<const std::string&>().empty())
        throw PermanentFailure(std::string("http-auth credential needs a non-empty string \"") +
                               name + "\"");
    const auto& value = it->get_ref<const std::string&>();
    if (value.find_first_of(std::string("\r\n\0", 3)) != std::string::npos)
        throw PermanentFailure(std::string("http-auth credential field \"") + name +
                               "\" holds a line break");
    return value;
}

}  // namespace

CredentialType httpAuthCredentialType() {
    return {.name = kHttpAuth,
            .description = "How authorizedRequest authenticates: HTTP Basic, a bearer token or "
                           "a named header.",
            .schema = nlohmann::json::parse(R"({
              "type": "object",
              "required": ["scheme"],
              "properties": {
                "scheme": {"enum": ["basic", "bearer", "header"]},
                "username": {"type": "string", "minLength": 1, "pattern": "^[^:]*$"},
                "password": {"type": "string", "minLength": 1, "writeOnly": true},
                "token": {"type": "string", "minLength": 1, "writeOnly": true},
                "name": {"type": "string", "pattern": "^[-!#$%&'*+.^_`|~0-9A-Za-z]+$"},
                "value": {"type": "string", "minLength": 1, "writeOnly": true}
              },
              "allOf": [
                {"if": {"properties": {"scheme": {"const": "basic"}}},
                 "then": {"required": ["username", "password"]}},
                {"if": {"properties": {"scheme": {"const": "bearer"}}},
                 "then": {"required": ["token"]}},
                {"if": {"properties": {"scheme": {"const": "header"}}},
                 "then": {"required": ["name", "value"]}}
              ]
            })")};
}

AuthHeader authHeaderFrom(const nlohmann::json& credential) {
    if (!credential.is_object())
        throw PermanentFailure("the step has no http-auth credential");
    const std::string scheme = field(credential, "scheme");
    if (scheme == "basic") {
        const std::string username = field(credential, "username");
        if (username.find(':') != std::string::npos)
            throw PermanentFailure("http-auth credential \"username\" must not contain ':'");
        return {"Authorization", "Basic " + common::encodeBase64(username + ":" + field(credential, "password"))};
    }
    if (scheme == "bearer") return {"Authorization", "Bearer " + field(credential, "token")};
    if (scheme == "header") return {field(credential, "name"), field(credential, "value")};
    throw PermanentFailure("http-auth credential \"scheme\" must be basic, bearer or header");
}

}  // namespace flowgate::plugins::http
