// The providers' documented signature schemes, by the names credentials use in "preset".
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/verifier.hpp"
#include "config/config_error.hpp"

namespace flowgate::auth {

enum class SignaturePreset { github, stripe, slack, shopify, standardWebhooks, twilio };

std::optional<SignaturePreset> findSignaturePreset(std::string_view name);  // "github", ...

// Whether the scheme signs a timestamp (and so takes "toleranceSeconds").
bool signsTimestamp(SignaturePreset preset);

// Builds the preset's verifier. A secret the scheme cannot use appends an error at
// "/secrets/<i>" in `file` (never quoting it) and returns null.
std::unique_ptr<const Verifier> makePresetVerifier(SignaturePreset preset,
                                                   std::vector<std::string> secrets,
                                                   std::chrono::seconds tolerance,
                                                   const std::string& file,
                                                   config::ConfigErrors& errors);

}  // namespace flowgate::auth
