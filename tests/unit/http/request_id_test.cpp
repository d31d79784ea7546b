#include <regex>
#include <set>

#include <catch2/catch.hpp>

#include "http/request_id.hpp"

TEST_CASE("request ids are distinct version-4 UUIDs", "[http]") {
    static const std::regex uuid4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
    std::set<std::string> seen;
    for (int i = 0; i < 10000; ++i) {
        const std::string id = flowgate::http::newRequestId();
        REQUIRE(std::regex_match(id, uuid4));
        seen.insert(id);
    }
    CHECK(seen.size() == 10000);
}
