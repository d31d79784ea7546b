#include "tweet_text.hpp"

#include <stdexcept>

#include "flowgate/common/utf8.hpp"
#include "jq/jq_program.hpp"

namespace flowgate::plugins::twitter {

std::size_t tweetLength(std::string_view text) {
    std::size_t count = 0;
    for (std::size_t i = 0; i < text.size(); ++count) {
        const std::size_t size = common::utf8SequenceLength(text, i);
        if (size == 0) throw std::invalid_argument("the tweet text is not valid UTF-8");
        i += size;
    }
    return count;
}

void checkTweetText(std::string_view text) {
    const std::size_t length = tweetLength(text);
    if (length == 0) throw std::invalid_argument("the tweet text is empty");
    if (length > kMaxTweetCharacters)
        throw std::invalid_argument("the tweet text has " + std::to_string(length) +
                                    " characters; X allows " + std::to_string(kMaxTweetCharacters));
}

TweetText TweetText::fixed(std::string text) {
    checkTweetText(text);
    TweetText out;
    out.fixed_ = std::move(text);
    return out;
}

TweetText TweetText::expression(std::string jqExpression) {
    TweetText out;
    out.program_ = std::make_unique<jq::JqProgram>(std::move(jqExpression));
    return out;
}

TweetText TweetText::fromBody() {
    TweetText out;
    out.fromBody_ = true;
    return out;
}

TweetText::TweetText(TweetText&&) noexcept = default;
TweetText::~TweetText() = default;

std::string TweetText::textFor(const Message& message,
                               const std::function<void(std::string_view)>& debug) const {
    if (fromBody_) {
        const auto* text = message.body.is_object() && message.body.contains("text")
                               ? message.body.at("text").get_ptr<const std::string*>()
                               : nullptr;
        if (!text)
            throw std::runtime_error("the message body has no string \"text\" (or give \"text\" "
                                     "or \"textExpression\" in the step's config)");
        checkTweetText(*text);
        return *text;
    }
    if (!program_) return fixed_;
    nlohmann::json output;
    try {
        output = program_->onlyOutput(nlohmann::json(message), debug);
    } catch (const std::runtime_error& e) {
        throw std::runtime_error(std::string("textExpression: ") + e.what());
    }
    if (!output.is_string())
        throw std::runtime_error(std::string("textExpression must produce a string, not ") +
                                 output.type_name());
    std::string text = output.get<std::string>();
    checkTweetText(text);
    return text;
}

}  // namespace flowgate::plugins::twitter
