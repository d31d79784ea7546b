#include <catch2/catch.hpp>

#include "http/body_decoder.hpp"

using flowgate::http::DecodeError;
using flowgate::http::decodeBody;
using flowgate::http::parseFormEncoded;
using nlohmann::json;

namespace {
json ok(std::string_view type, std::string_view body) {
    auto result = decodeBody(type, body);
    REQUIRE(std::holds_alternative<json>(result));
    return std::get<json>(result);
}
DecodeError fails(std::string_view type, std::string_view body) {
    auto result = decodeBody(type, body);
    REQUIRE(std::holds_alternative<DecodeError>(result));
    return std::get<DecodeError>(result);
}
}  // namespace

TEST_CASE("JSON bodies decode as they are, for every JSON media type", "[http][decoder]") {
    CHECK(ok("application/json", R"({"a":[1,2.5,"x"]})") == json{{"a", {1, 2.5, "x"}}});
    CHECK(ok("Application/JSON; charset=utf-8", "[]") == json::array());
    CHECK(ok("application/vnd.github+json", R"({"zen":"x"})") == json{{"zen", "x"}});
    CHECK(ok("", "") == json::object());
}

TEST_CASE("malformed and hostile JSON is a 400 with a reason", "[http][decoder]") {
    auto e = fails("application/json", R"({"a":)");
    CHECK(e.status == 400);
    CHECK(e.code == "malformed_json");
    CHECK(e.message.find("parse error") != std::string::npos);
    CHECK(fails("application/json", "").status == 400);
    CHECK(fails("application/json", std::string(300, '[') + std::string(300, ']')).status == 400);
    // Brackets inside strings do not count as nesting.
    CHECK(ok("application/json", "\"" + std::string(1000, '[') + "\"").is_string());
    CHECK(ok("application/json", std::string(200, '[') + std::string(200, ']')).is_array());
}

TEST_CASE("form bodies become properties; repeated keys become arrays", "[http][decoder]") {
    CHECK(ok("application/x-www-form-urlencoded", "a=1&b=hello+world&a=2&c=%41%2f&empty=&flag") ==
          json{{"a", {"1", "2"}}, {"b", "hello world"}, {"c", "A/"}, {"empty", ""}, {"flag", ""}});
    CHECK(fails("application/x-www-form-urlencoded", "a=%4").status == 400);
    CHECK(fails("application/x-www-form-urlencoded", "a=%zz").code == "malformed_form");
    json out;
    CHECK(parseFormEncoded("", out));
    CHECK(out == json::object());
    CHECK(parseFormEncoded("&&x=1&&", out));
    CHECK(out == json{{"x", "1"}});
}

TEST_CASE("other content types are a 415 naming the type", "[http][decoder]") {
    auto e = fails("text/plain", "hi");
    CHECK(e.status == 415);
    CHECK(e.message.find("text/plain") != std::string::npos);
    CHECK(fails("", "some bytes").status == 415);
}
