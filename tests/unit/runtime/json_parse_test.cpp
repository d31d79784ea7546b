// The worker parses stored messages with simdjson and builds nlohmann's values from them:
// what a step sees must stay exactly what nlohmann's own parse gives, types included, and
// text either refuses must be refused with nlohmann's error.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "runtime/json_parse.hpp"

using flowgate::runtime::parseJson;
using nlohmann::json;

namespace {

// Equal values can differ in type (1 as unsigned or signed): compare every node's type too.
bool sameTree(const json& a, const json& b) {
    if (a.type() != b.type() || a.size() != b.size()) return false;
    if (a.is_object()) {
        for (auto it = a.begin(), jt = b.begin(); it != a.end(); ++it, ++jt)
            if (it.key() != jt.key() || !sameTree(*it, *jt)) return false;
        return true;
    }
    if (a.is_array()) {
        for (std::size_t i = 0; i < a.size(); ++i)
            if (!sameTree(a[i], b[i])) return false;
        return true;
    }
    // Doubles: the same bits, -0.0 included, as the dump shows them.
    return a == b && a.dump() == b.dump();
}

std::string nlohmannError(const std::string& text) {
    try {
        const json parsed = json::parse(text);
        return parsed.is_discarded() ? "discarded" : "";
    } catch (const json::exception& e) {
        return e.what();
    }
}

std::string parseJsonError(const std::string& text) {
    try {
        const json parsed = parseJson(text);
        return parsed.is_discarded() ? "discarded" : "";
    } catch (const json::exception& e) {
        return e.what();
    }
}

}  // namespace

TEST_CASE("parseJson reads what nlohmann reads, with the same types", "[runtime]") {
    const std::vector<std::string> texts = {
        R"({"id":"r1","body":{"title":"x","n":1,"items":[{"sku":"a","q":0},{"sku":"b","q":-3}]}})",
        R"({"z":1,"a":2,"m":{"y":[],"b":{}}})",                  // keys out of order
        R"({"k":1,"k":2,"a":0,"k":"last"})",                       // a duplicate: the last wins
        R"([0, -1, 1, 9223372036854775807, -9223372036854775808, 9223372036854775808])",
        R"([18446744073709551615, 18446744073709551616, -9223372036854775809])",  // past 64 bits
        R"([-0, -0.0, 0.0, 1.0, 1e2, 1E-2, -1.5e300, 5e-324, 0.1, 3.141592653589793238462643])",
        R"({"date":"2026-12-02T07:13:21Z","range":"a-0","n":-0})",  // "-0" in strings and a number
        R"({"id":"0f3c2a9e-0b7d-4c1e","a":[-0],"b":[1, -0 ],"c": -0, "d":"x, -0"})",
        "-0", " -0 ",
        R"(["\u0000", "\"\\\/\b\f\n\r\t", "\u00e9\ud83d\ude00", "é😀", ""])",
        R"(  {"spaced" : [ true , false , null ] }  )",
        "\xEF\xBB\xBF{\"bom\":true}",                               // nlohmann skips a BOM
        R"("text")", "12", "null", "[]", "{}",
        std::string(2000, '[') + std::string(2000, ']'),           // deeper than simdjson goes
        std::string("[1]\0[2]", 7),                                // nlohmann ends at a NUL
    };
    for (const auto& text : texts) {
        INFO(text.substr(0, 120));
        REQUIRE(nlohmannError(text).empty());
        CHECK(sameTree(parseJson(text), json::parse(text)));
    }
}

TEST_CASE("parseJson refuses what nlohmann refuses, with its error", "[runtime]") {
    const std::vector<std::string> texts = {
        "", "not json", R"({"a":1)", R"({"a":1}})", R"({"a":1} x)", "[1,]", "01", "1e999",
        R"(["\ud800"])", R"(["\udc00"])", "[\"tab\tinside\"]", "[\"\xC3\x28\"]",
        "[\"\xED\xA0\x80\"]", "{'a':1}", "[NaN]",
    };
    for (const auto& text : texts) {
        INFO(text);
        const std::string expected = nlohmannError(text);
        REQUIRE_FALSE(expected.empty());
        CHECK(parseJsonError(text) == expected);
    }
}
