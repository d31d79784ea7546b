// The admin API's parameters: times, limits, cursors and their 400 reasons.
#include <catch2/catch.hpp>

#include "admin/api_query.hpp"
#include "admin/rfc3339.hpp"

using flowgate::admin::ApiQuery;
using flowgate::admin::BadParameter;
using flowgate::admin::decodeCursor;
using flowgate::admin::encodeCursor;
using flowgate::admin::formatRfc3339;
using flowgate::admin::parseTime;

TEST_CASE("admin times: RFC 3339 with milliseconds out, RFC 3339 or epoch ms in", "[admin]") {
    CHECK(formatRfc3339(0) == "1970-01-01T00:00:00.000Z");
    CHECK(formatRfc3339(1764636669123) == "2025-12-02T00:51:09.123Z");
    CHECK(parseTime("2025-12-02T00:51:09.123Z") == 1764636669123);
    CHECK(parseTime("2025-12-02T01:51:09.123+01:00") == 1764636669123);
    CHECK(parseTime("2025-12-02T00:51:09Z") == 1764636669000);
    CHECK(parseTime("1764636669123") == 1764636669123);
    CHECK_FALSE(parseTime(""));
    CHECK_FALSE(parseTime("yesterday"));
    CHECK_FALSE(parseTime("2025-13-02T00:51:09Z"));
    CHECK_FALSE(parseTime("2025-12-02 00:51:09"));
    CHECK_FALSE(parseTime("99999999999999999999"));
}

TEST_CASE("admin query: known parameters only, each once, decoded", "[admin]") {
    const ApiQuery q("flow=a%20b&limit=10&since=0", {"flow", "limit", "since"});
    CHECK(q.text("flow") == "a b");
    CHECK(q.limit(50, 500) == 10);
    CHECK(q.time("since") == 0);
    CHECK(ApiQuery("", {"limit"}).limit(50, 500) == 50);
    CHECK_THROWS_AS(ApiQuery("x=1", {"flow"}), BadParameter);
    CHECK_THROWS_AS(ApiQuery("flow=a&flow=b", {"flow"}), BadParameter);
    CHECK_THROWS_AS(ApiQuery("flow=%zz", {"flow"}), BadParameter);
    CHECK_THROWS_AS(ApiQuery("limit=0", {"limit"}).limit(50, 500), BadParameter);
    CHECK_THROWS_AS(ApiQuery("limit=501", {"limit"}).limit(50, 500), BadParameter);
    CHECK_THROWS_AS(ApiQuery("limit=-1", {"limit"}).limit(50, 500), BadParameter);
    CHECK_THROWS_WITH(ApiQuery("since=soon", {"since"}).time("since"),
                      Catch::Contains("since must be an RFC 3339 time"));
}

TEST_CASE("admin cursors: what a page hands out comes back, anything else is refused",
          "[admin]") {
    CHECK(decodeCursor(encodeCursor(42)) == 42);
    CHECK_FALSE(decodeCursor("42"));
    CHECK_FALSE(decodeCursor("c"));
    CHECK_FALSE(decodeCursor("c4x"));
    CHECK_THROWS_AS(ApiQuery("cursor=nope", {"cursor"}).cursor(), BadParameter);
}
