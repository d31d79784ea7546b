#include <algorithm>
#include <regex>
#include <set>

#include <catch2/catch.hpp>

#include "http/request_id.hpp"

TEST_CASE("request ids are distinct version-7 UUIDs that sort by time", "[http]") {
    static const std::regex uuid7("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
    std::set<std::string> seen;
    std::string previous;
    for (int i = 0; i < 10000; ++i) {
        const std::string id = flowgate::http::newRequestId();
        REQUIRE(std::regex_match(id, uuid7));
        // The 48-bit millisecond prefix never goes back (but for a clock step).
        CHECK(id.substr(0, 13) >= previous.substr(0, std::min<std::size_t>(13, previous.size())));
        previous = id;
        seen.insert(id);
    }
    CHECK(seen.size() == 10000);
}
