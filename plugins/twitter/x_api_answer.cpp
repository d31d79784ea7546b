#include "x_api_answer.hpp"

#include <stdexcept>

#include "flowgate/outbound_http/answer_json.hpp"

namespace flowgate::plugins::twitter {

namespace {

constexpr std::size_t kMaxReason = 300;

std::string stringField(const nlohmann::json& object, const char* name) {
    const auto it = object.find(name);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

nlohmann::json createdTweet(const std::string& body) {
    const auto answer = net::parseAnswerJson(body);
    if (answer.is_object()) {
        const auto data = answer.find("data");
        if (data != answer.end() && data->is_object() && !stringField(*data, "id").empty())
            return *data;
    }
    throw std::runtime_error("the X API's answer has no created tweet (\"data\" with \"id\")");
}

std::string refusalReason(const std::string& body) {
    const auto answer = net::parseAnswerJson(body);
    if (!answer.is_object()) return {};
    std::string reason = stringField(answer, "detail");
    if (reason.empty()) reason = stringField(answer, "title");
    if (reason.empty()) {
        const auto errors = answer.find("errors");
        if (errors != answer.end() && errors->is_array() && !errors->empty() &&
            errors->front().is_object())
            reason = stringField(errors->front(), "message");
    }
    if (reason.size() > kMaxReason) {
        std::size_t cut = kMaxReason;  // not inside a UTF-8 sequence
        while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xC0) == 0x80) --cut;
        reason = reason.substr(0, cut) + "…";
    }
    return reason;
}

}  // namespace flowgate::plugins::twitter
