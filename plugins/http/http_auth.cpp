#include "http_auth.hpp"

#include <sstream>
#include <stdexcept>

#include <Poco/Base64Encoder.h>

namespace flowgate::plugins::http {

namespace {

std::string field(const nlohmann::json& credential, const char* name) {
    const auto it = credential.find(name);
    if (it == credential.end() || !it->is_string() || it->get_ref<const std::string&>().empty())
        throw std::invalid_argument(
            std::string("http-auth credential needs a non-empty string \"") + name + "\"");
    const auto& value = it->get_ref<const std::string&>();
    if (value.find_first_of(std::string("\r\n\0", 3)) != std::string::npos)
        throw std::invalid_argument(std::string("http-auth credential field \"") + name +
                                    "\" holds a line break");
    return value;
}

std::string base64(const std::string& text) {
    std::ostringstream out;
    Poco::Base64Encoder encoder(out);
    encoder.rdbuf()->setLineLength(0);
    encoder << text;
    encoder.close();
    return out.str();
}

}  // namespace

AuthHeader authHeaderFrom(const nlohmann::json& credential) {
    if (!credential.is_object())
        throw std::invalid_argument("the step has no http-auth credential");
    const std::string scheme = field(credential, "scheme");
    if (scheme == "basic") {
        const std::string username = field(credential, "username");
        if (username.find(':') != std::string::npos)
            throw std::invalid_argument("http-auth credential \"username\" must not contain ':'");
        return {"Authorization", "Basic " + base64(username + ":" + field(credential, "password"))};
    }
    if (scheme == "bearer") return {"Authorization", "Bearer " + field(credential, "token")};
    if (scheme == "header") return {field(credential, "name"), field(credential, "value")};
    throw std::invalid_argument("http-auth credential \"scheme\" must be basic, bearer or header");
}

}  // namespace flowgate::plugins::http
