#include <catch2/catch.hpp>

#include "text/percent_decoding.hpp"

using flowgate::text::percentDecode;

TEST_CASE("percent-decoding: escapes, plus signs, malformed escapes", "[text]") {
    CHECK(percentDecode("a%20b%2Fc", false) == "a b/c");
    CHECK(percentDecode("%ff%FE", false) == std::string("\xff\xfe"));
    CHECK(percentDecode("a+b", false) == "a+b");
    CHECK(percentDecode("a+b", true) == "a b");
    CHECK(percentDecode("", true) == "");
    CHECK_FALSE(percentDecode("%zz", false));
    CHECK_FALSE(percentDecode("%4", false));
    CHECK_FALSE(percentDecode("abc%", true));
}
