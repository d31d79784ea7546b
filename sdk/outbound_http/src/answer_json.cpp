#include "flowgate/outbound_http/answer_json.hpp"

namespace flowgate::net {

namespace {

struct TooDeep {};

}  // namespace

nlohmann::json parseAnswerJson(std::string_view text) {
    const nlohmann::json::parser_callback_t limitDepth =
        [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
            if (depth >= kMaxAnswerJsonDepth) throw TooDeep{};  // depth counts from 0
            return true;
        };
    try {
        return nlohmann::json::parse(text, limitDepth, false);
    } catch (const TooDeep&) {
        return nlohmann::json(nlohmann::json::value_t::discarded);
    }
}

}  // namespace flowgate::net
