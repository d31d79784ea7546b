// Retry-After as the http and webhook plugins read it.
#include <catch2/catch.hpp>

#include "flowgate/outbound_http/retry_after.hpp"

using namespace std::chrono_literals;
using flowgate::net::parseRetryAfter;

TEST_CASE("Retry-After: delay-seconds, IMF-fixdate, and nothing else", "[outbound]") {
    // Sun, 06 Nov 1994 08:49:37 GMT, the example date of RFC 9110.
    const auto now = std::chrono::system_clock::from_time_t(784111777);
    CHECK(parseRetryAfter("120", now) == std::optional(std::chrono::milliseconds(120s)));
    CHECK(parseRetryAfter(" 0 ", now) == std::optional(std::chrono::milliseconds(0)));
    CHECK(parseRetryAfter("Sun, 06 Nov 1994 08:50:07 GMT", now) ==
          std::optional(std::chrono::milliseconds(30s)));
    CHECK(parseRetryAfter("Sun, 06 Nov 1994 08:00:00 GMT", now) ==
          std::optional(std::chrono::milliseconds(0)));  // in the past: now
    CHECK(*parseRetryAfter("99999999999999999999999", now) >= std::chrono::hours(24 * 365));

    CHECK_FALSE(parseRetryAfter("", now));
    CHECK_FALSE(parseRetryAfter("-5", now));
    CHECK_FALSE(parseRetryAfter("garbage", now));  // Poco alone would read 1970
    CHECK_FALSE(parseRetryAfter("1.5", now));
    CHECK_FALSE(parseRetryAfter("Sunday, 06-Nov-94 08:49:37 GMT", now));  // obsolete form
}

TEST_CASE("Retry-After: a count too large for milliseconds does not overflow", "[outbound]") {
    const auto now = std::chrono::system_clock::now();
    const auto huge = parseRetryAfter("9223372036854776", now);
    REQUIRE(huge);
    CHECK(*huge >= std::chrono::hours(24 * 365));
}
