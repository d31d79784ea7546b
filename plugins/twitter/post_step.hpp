// The twitter `post` function: one tweet per message through POST /2/tweets of the X API
// v2, signed with OAuth 1.0a (user context). The output is the created tweet.
#pragma once

#include <memory>

#include <nlohmann/json.hpp>

#include "flowgate/component.hpp"
#include "flowgate/step.hpp"

namespace flowgate::plugins::twitter {

FunctionSpec postFunction();

// `config` has passed postFunction().configSchema. Throws std::invalid_argument for what
// the schema cannot judge (see parsePostConfig).
std::unique_ptr<Step> makePostStep(const nlohmann::json& config);

}  // namespace flowgate::plugins::twitter
