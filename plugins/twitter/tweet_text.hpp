// The text of a tweet: fixed in config, or computed by a jq expression from the message.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "flowgate/message.hpp"

namespace flowgate::plugins::jq {
class JqProgram;
}

namespace flowgate::plugins::twitter {

// X's limit for accounts without a subscription.
inline constexpr std::size_t kMaxTweetCharacters = 280;

// Characters as X counts most text: Unicode code points of the UTF-8 text. (X weighs
// some scripts and URLs differently; the API has the last word and its refusal fails the
// attempt with X's reason.) Throws std::invalid_argument for invalid UTF-8.
std::size_t tweetLength(std::string_view text);

// Throws std::invalid_argument naming the length if `text` is empty or too long.
void checkTweetText(std::string_view text);

class TweetText {
public:
    // A fixed text (checked now), a jq expression (compiled now; throws
    // std::invalid_argument with jq's messages), or the message body's "text" (what an
    // earlier jq step shaped, as in `{text: .title}`).
    static TweetText fixed(std::string text);
    static TweetText expression(std::string jqExpression);
    static TweetText fromBody();
    TweetText(TweetText&&) noexcept;
    ~TweetText();

    // The checked text for `message`. The expression sees the whole message
    // {id, body, headers, attachments, meta} and must yield exactly one string.
    // Throws std::runtime_error (std::invalid_argument for a bad text) otherwise.
    // `debug` receives what jq's `debug` builtin shows.
    std::string textFor(const Message& message,
                        const std::function<void(std::string_view)>& debug) const;

private:
    TweetText() = default;
    std::string fixed_;
    std::unique_ptr<jq::JqProgram> program_;
    bool fromBody_ = false;
};

}  // namespace flowgate::plugins::twitter
