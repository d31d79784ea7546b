// Hex and base64 decoding is strict: a signature is either canonical or refused.
#include <catch2/catch.hpp>

#include "flowgate/common/byte_encoding.hpp"
#include "flowgate/common/secret_bytes.hpp"
#include "auth/form_encoding.hpp"
#include "auth/timestamp_window.hpp"

using namespace flowgate::auth;
using namespace flowgate::common;

TEST_CASE("hex round-trips and refuses odd lengths and non-hex", "[auth]") {
    CHECK(decodeHex("00ff10Ab") == std::string("\x00\xff\x10\xab", 4));
    CHECK(encodeHex(std::string("\x00\xff\x10\xab", 4)) == "00ff10ab");
    CHECK(decodeHex("") == std::string());
    CHECK_FALSE(decodeHex("abc"));
    CHECK_FALSE(decodeHex("0g"));
    CHECK_FALSE(decodeHex(" 00"));
}

TEST_CASE("base64 round-trips, padding optional, anything else refused", "[auth]") {
    for (const std::string& bytes :
         {std::string(""), std::string("f"), std::string("fo"), std::string("foo"),
          std::string("foob"), std::string("\xff\xfe\x00", 3)}) {
        const std::string text = encodeBase64(bytes);
        CHECK(decodeBase64(text) == bytes);
        std::string unpadded = text;
        while (!unpadded.empty() && unpadded.back() == '=') unpadded.pop_back();
        CHECK(decodeBase64(unpadded) == bytes);
    }
    CHECK(encodeBase64("foobar") == "Zm9vYmFy");
    CHECK_FALSE(decodeBase64("Zm9vYmFy="));  // padding where none belongs
    CHECK_FALSE(decodeBase64("Zg="));        // incomplete padding
    CHECK_FALSE(decodeBase64("Zh=="));       // unused bits set: not canonical
    CHECK_FALSE(decodeBase64("Z"));          // no byte ends after one character
    CHECK_FALSE(decodeBase64("Zm9v YmFy"));  // whitespace
    CHECK_FALSE(decodeBase64("Zm9v-_Fy"));   // base64url alphabet
    CHECK_FALSE(decodeBase64("Zg==="));
}

TEST_CASE("constant-time equality needs equal lengths and equal bytes", "[auth]") {
    CHECK(constantTimeEqual("abc", "abc"));
    CHECK(constantTimeEqual("", ""));
    CHECK_FALSE(constantTimeEqual("abc", "abd"));
    CHECK_FALSE(constantTimeEqual("abc", "abcd"));
}

TEST_CASE("form decoding and timestamps", "[auth]") {
    auto params = decodeFormEncoded("a=1&&b=x+y%2Bz&c&=e");
    REQUIRE(params);
    CHECK(*params == FormParams{{"a", "1"}, {"b", "x y+z"}, {"c", ""}, {"", "e"}});
    CHECK_FALSE(decodeFormEncoded("a=%4"));
    CHECK_FALSE(decodeFormEncoded("a=%4g"));
    CHECK(queryOf("https://h/p?x=1#f") == "x=1");
    CHECK(queryOf("https://h/p") == "");
    CHECK(isFormContentType("Application/X-WWW-Form-Urlencoded ; charset=UTF-8"));
    CHECK_FALSE(isFormContentType("application/json"));

    const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1000));
    const std::chrono::seconds tolerance(10);
    CHECK(checkTimestamp("1010", now, tolerance) == TimestampCheck::fresh);
    CHECK(checkTimestamp("990", now, tolerance) == TimestampCheck::fresh);
    CHECK(checkTimestamp("1011", now, tolerance) == TimestampCheck::stale);
    CHECK(checkTimestamp("989", now, tolerance) == TimestampCheck::stale);
    CHECK(checkTimestamp("999999999999999", now, tolerance) == TimestampCheck::stale);
    for (const char* bad : {"", "-5", "+5", "1e3", "10.5", " 1000", "1000000000000000"})
        CHECK(checkTimestamp(bad, now, tolerance) == TimestampCheck::malformed);
}
