// The step credential of type "oauth1", as the engine hands it over (secrets resolved):
//   {"consumerKey", "consumerSecret", "accessToken", "accessTokenSecret"}
#pragma once

#include <nlohmann/json.hpp>

#include "signing/oauth1_signer.hpp"

namespace flowgate::plugins::twitter {

inline constexpr const char* kCredentialType = "oauth1";

// Throws std::runtime_error naming the first missing or empty field (never a value).
signing::OAuth1Credentials oauth1CredentialsFrom(const nlohmann::json& credential);

}  // namespace flowgate::plugins::twitter
