// Untrusted JSON answers are parsed only within a depth bound.
#include <catch2/catch.hpp>

#include <string>

#include "flowgate/outbound_http/answer_json.hpp"

using flowgate::net::kMaxAnswerJsonDepth;
using flowgate::net::parseAnswerJson;

TEST_CASE("answer JSON: parsed up to the depth bound, refused beyond it", "[outbound]") {
    CHECK(parseAnswerJson(R"({"a":[1,{"b":null}]})") == nlohmann::json::parse(R"({"a":[1,{"b":null}]})"));
    CHECK(parseAnswerJson("not json").is_discarded());

    const auto nested = [](int depth) {
        return std::string(static_cast<std::size_t>(depth), '[') +
               std::string(static_cast<std::size_t>(depth), ']');
    };
    CHECK_FALSE(parseAnswerJson(nested(kMaxAnswerJsonDepth)).is_discarded());
    CHECK(parseAnswerJson(nested(kMaxAnswerJsonDepth + 1)).is_discarded());
    CHECK(parseAnswerJson(nested(200000)).is_discarded());  // would overflow the stack later
}
