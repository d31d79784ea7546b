// The "http-auth" step credential: how authorizedRequest authenticates its calls.
//   {"id": "crm", "type": "http-auth", "scheme": "basic",  "username": "u", "password": {"env":
//   "P"}}
//   {"id": "crm", "type": "http-auth", "scheme": "bearer", "token": {"env": "T"}}
//   {"id": "crm", "type": "http-auth", "scheme": "header", "name": "X-API-Key", "value": {"env":
//   "K"}}
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "flowgate/component.hpp"

namespace flowgate::plugins::http {

inline constexpr const char* kHttpAuth = "http-auth";

// The manifest's declaration of "http-auth": the engine checks credential files against
// its schema when a flow loads.
CredentialType httpAuthCredentialType();

struct AuthHeader {
    std::string name;
    std::string value;  // a secret: never logged, never in a message
};

// The header `credential` (secrets resolved, checked against the schema) asks for.
// Throws PermanentFailure, naming the field but never a value, for what the schema cannot
// say (a ':' in a basic username, a line break in a value).
AuthHeader authHeaderFrom(const nlohmann::json& credential);

}  // namespace flowgate::plugins::http
