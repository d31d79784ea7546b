// The step credential of type "oauth1", as the engine hands it over (secrets resolved):
//   {"consumerKey", "consumerSecret", "accessToken", "accessTokenSecret"}
#pragma once

#include <nlohmann/json.hpp>

#include "flowgate/component.hpp"

#include "signing/oauth1_signer.hpp"

namespace flowgate::plugins::twitter {

inline constexpr const char* kCredentialType = "oauth1";

// The manifest's declaration of "oauth1", checked by the engine when a flow loads.
CredentialType oauth1CredentialType();

// Throws PermanentFailure naming the first missing or empty field (never a value): the
// schema makes that impossible for a credential the engine checked.
signing::OAuth1Credentials oauth1CredentialsFrom(const nlohmann::json& credential);

}  // namespace flowgate::plugins::twitter
