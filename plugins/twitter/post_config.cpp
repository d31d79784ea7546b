#include "post_config.hpp"

#include <stdexcept>

#include <Poco/Exception.h>
#include <Poco/URI.h>

namespace flowgate::plugins::twitter {

namespace {

// The base URL without a trailing slash, after checking it is absolute http(s) with no
// query: the API path is appended to it.
std::string apiBase(std::string url) {
    bool ok = false;
    try {
        const Poco::URI uri(url);
        ok = (uri.getScheme() == "http" || uri.getScheme() == "https") && !uri.getHost().empty() &&
             uri.getRawQuery().empty() && uri.getFragment().empty();
    } catch (const Poco::Exception&) {
    }
    if (!ok)
        throw std::invalid_argument("apiBaseUrl '" + url +
                                    "' is not an absolute http or https URL without a query");
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
}

}  // namespace

nlohmann::json postConfigSchema() {
    using json = nlohmann::json;
    return {{"type", "object"},
            {"properties",
             {{"text",
               {{"type", "string"},
                {"minLength", 1},
                {"description", "The tweet's text (at most 280 characters)."}}},
              {"textExpression",
               {{"type", "string"},
                {"minLength", 1},
                {"description",
                 "A jq program (jq 1.6) run on the whole message {id, body, headers, "
                 "attachments, meta} that yields the text as one string, e.g. "
                 "\"\\\"New post: \\\" + .body.title\"."}}},
              {"apiBaseUrl",
               {{"type", "string"},
                {"minLength", 1},
                {"default", kDefaultApiBaseUrl},
                {"description", "Where the X API is; the step POSTs to <apiBaseUrl>/2/tweets."}}}}},
            // At most one; with neither, the message body's "text" is the tweet.
            {"not", {{"required", json::array({"text", "textExpression"})}}},
            {"additionalProperties", false}};
}

PostConfig parsePostConfig(const nlohmann::json& config) {
    const std::string base = apiBase(config.at("apiBaseUrl").get<std::string>());
    if (config.contains("text") && config.contains("textExpression"))
        throw std::invalid_argument("give \"text\" or \"textExpression\", not both");
    TweetText text = config.contains("text") ? TweetText::fixed(config.at("text").get<std::string>())
                     : config.contains("textExpression")
                         ? TweetText::expression(config.at("textExpression").get<std::string>())
                         : TweetText::fromBody();
    return {std::move(text), base + "/2/tweets"};
}

}  // namespace flowgate::plugins::twitter
