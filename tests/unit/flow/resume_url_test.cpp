// The resume URL format has one owner: what it mints, it reads back.
#include <catch2/catch.hpp>

#include "flow/resume_url.hpp"

using namespace flowgate::flow;

TEST_CASE("a minted resume URL reads back, whatever the base", "[flow]") {
    for (const std::string base : {"http://127.0.0.1:8080", "https://hooks.example/in"}) {
        const std::string url = mintResumeUrl(base, "0190-abc");
        INFO(url);
        CHECK(url.starts_with(base + "/resume/0190-abc/"));
        const auto parts = parseResumeUrl(url);
        REQUIRE(parts);
        CHECK(parts->executionId == "0190-abc");
        CHECK(parts->token.size() == 32);  // 128 bits, hex
        CHECK(parts->token.find_first_not_of("0123456789abcdef") == std::string::npos);
        CHECK(parseResumePath(url.substr(base.size()))->token == parts->token);
    }
    CHECK(mintResumeUrl("http://h", "e") != mintResumeUrl("http://h", "e"));  // a new token each time
}

TEST_CASE("anything else is not a resume URL", "[flow]") {
    for (const char* path : {"/resume/", "/resume/e", "/resume/e/", "/resume//t", "/resume/e/t/x",
                             "/hook/e/t"})
        CHECK_FALSE(parseResumePath(path));
    CHECK_FALSE(parseResumeUrl("http://h/hook/f"));
    CHECK(isResumePath("/resume/e/t"));
    CHECK_FALSE(isResumePath("/hook/resume/e/t"));
}
