#include <catch2/catch.hpp>

#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "webhooks/body_decoder.hpp"
#include "webhooks/json_validator.hpp"

using flowgate::http::isValidJson;
using flowgate::http::withoutUtf8Bom;
using nlohmann::json;

namespace {

constexpr int kDepth = flowgate::http::kMaxJsonDepth;

std::string nested(int depth) {
    return std::string(depth, '[') + std::string(depth, ']');
}

// The verdict of the decoder that answers the bodies this refuses: nlohmann's parser after
// a bracket count.
bool decoderTakes(const std::string& text) {
    return std::holds_alternative<flowgate::http::DecodedBody>(
        flowgate::http::decodeBody("application/json", {}, text, {}, nullptr, {}));
}

// Checked both ways: copied (no spare bytes), and in place from a buffer with the padding.
bool valid(const std::string& text) {
    std::string padded;
    padded.reserve(text.size() + 64);
    padded = text;
    const bool copied = isValidJson(text, kDepth);
    const bool inPlace = isValidJson(padded, kDepth, padded.capacity() - padded.size());
    CHECK(copied == inPlace);
    return copied;
}

}  // namespace

TEST_CASE("the JSON validator takes exactly the JSON texts the nlohmann decoder takes",
          "[http][json-validator]") {
    const std::vector<std::string> texts = {
        "{}",
        "[]",
        "1",
        "-0",
        "1E+2",
        "\"x\"",
        "true",
        "null",
        "\t\n\r [ ] \t",
        R"({"a":[1,2.5,"x",{"b":null}],"c":"é😀","d":"\u00e9\ud83d\ude00\/"})",
        R"({"a":1,"a":2})",
        "1e-400",
        "18446744073709551615",
        "-9223372036854775808",
        "1.7976931348623157e308",
        "0." + std::string(400, '1'),
        // integers beyond 64 bits: doubles to nlohmann
        "123456789012345678901234567890",
        "18446744073709551616",
        "[-9223372036854775809]",
        // invalid
        "",
        " ",
        "1 2",
        "{}x",
        "[1,]",
        R"({"a":1,})",
        R"({"a" 1})",
        "{'a':1}",
        "NaN",
        "tru",
        "nulll",
        "01",
        "-",
        "1.",
        ".5",
        "+1",
        "1e",
        "\f[]",
        "[\"\\x\"]",
        "[\"\\u00\"]",
        "[\"\\uZZZZ\"]",
        "[\"\\ud800\"]",
        "[\"\\udc00\"]",
        "[\"\\ud800\\u0041\"]",
        std::string("[\"a\x01\"]"),
        std::string("[\"\0\"]", 5),
        "[\"\xff\"]",
        "[\"\xc0\x80\"]",
        "[\"\xed\xa0\x80\"]",
        "\xEF\xBB{}",
        // numbers no double holds
        R"({"n":1e999})",
        "-1e999",
        "1.7976931348623159e308",
        "[18446744073709551616,1e999]",
        "1" + std::string(400, '0'),
        // a leading BOM, which nlohmann skips (once)
        "\xEF\xBB\xBF{}",
        "\xEF\xBB\xBF",
        "\xEF\xBB\xBF\xEF\xBB\xBF{}",
        // depth
        nested(255),
        nested(256),
        nested(257),
        "[" + nested(255) + "]",
        std::string(255, '[') + "{}" + std::string(255, ']'),
        std::string(256, '[') + "{}" + std::string(256, ']'),
        "\"" + std::string(1000, '[') + "\"",
        "[18446744073709551616," + nested(256) + "]",
    };
    for (const auto& text : texts) {
        INFO(json(text).dump(-1, ' ', true, json::error_handler_t::replace));
        CHECK(valid(text) == decoderTakes(text));
    }
}

TEST_CASE("the JSON validator refuses what a webhook must not store as it came",
          "[http][json-validator]") {
    CHECK(valid(R"({"event":"push","n":[1,2.5e3,-7],"s":"\"q\" é"})"));
    CHECK_FALSE(valid(""));
    CHECK_FALSE(valid(R"({"n":1e999})"));
    CHECK_FALSE(valid("{\"s\":\"\xff\xfe\"}"));
    CHECK(valid(nested(256)));
    CHECK_FALSE(valid(nested(257)));
    CHECK_FALSE(valid("[18446744073709551616," + nested(257) + "]"));
    // nlohmann ends its input at a NUL and would take the rest for nothing; the body as a
    // whole is not JSON.
    CHECK_FALSE(valid(std::string("[1]\0junk", 8)));
    CHECK_FALSE(valid(std::string("[18446744073709551616]\0junk", 27)));
    // A big body gets a parser of its own; the result is the same.
    std::string big = "[";
    while (big.size() < 200 * 1024) big += R"({"k":"value","n":12345},)";
    big += "0]";
    CHECK(valid(big));
    big.back() = ',';
    CHECK_FALSE(valid(big));
}

TEST_CASE("a UTF-8 byte order mark is not part of the stored JSON text", "[http][json-validator]") {
    CHECK(withoutUtf8Bom("\xEF\xBB\xBF{\"a\":1}") == "{\"a\":1}");
    CHECK(withoutUtf8Bom("\xEF\xBB\xBF\xEF\xBB\xBF{}") == "\xEF\xBB\xBF{}");
    CHECK(withoutUtf8Bom("{}") == "{}");
    CHECK(withoutUtf8Bom("\xEF\xBB") == "\xEF\xBB");
    CHECK(json::accept(std::string(withoutUtf8Bom("\xEF\xBB\xBF[1]"))));
}
