// The "http-auth" step credential: how authorizedRequest authenticates its calls.
//   {"id": "crm", "type": "http-auth", "scheme": "basic",  "username": "u", "password": {"env":
//   "P"}}
//   {"id": "crm", "type": "http-auth", "scheme": "bearer", "token": {"env": "T"}}
//   {"id": "crm", "type": "http-auth", "scheme": "header", "name": "X-API-Key", "value": {"env":
//   "K"}}
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace flowgate::plugins::http {

struct AuthHeader {
    std::string name;
    std::string value;  // a secret: never logged, never in a message
};

// The header `credential` (secrets resolved) asks for. Throws std::invalid_argument,
// naming the field but never a value, if the credential does not have that shape.
AuthHeader authHeaderFrom(const nlohmann::json& credential);

}  // namespace flowgate::plugins::http
