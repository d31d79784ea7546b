// The `post` function's config: its schema (the manifest's single description of it) and
// what the schema cannot check, done once when the step is created.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "tweet_text.hpp"

namespace flowgate::plugins::twitter {

inline constexpr const char* kDefaultApiBaseUrl = "https://api.x.com";

struct PostConfig {
    TweetText text;
    std::string tweetsUrl;  // <apiBaseUrl>/2/tweets
};

nlohmann::json postConfigSchema();

// `config` has passed postConfigSchema(). Throws std::invalid_argument for a fixed text
// that is empty or too long, a textExpression jq cannot compile, or an apiBaseUrl that
// is not an absolute http(s) URL.
PostConfig parsePostConfig(const nlohmann::json& config);

}  // namespace flowgate::plugins::twitter
