// receivedAt texts are what Poco's ISO 8601 formatter writes, also across seconds and days.
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

#include <catch2/catch.hpp>

#include "webhooks/received_at.hpp"

using flowgate::http::receivedAtText;

namespace {

std::string pocoText(Poco::Timestamp at) {
    return Poco::DateTimeFormatter::format(at, Poco::DateTimeFormat::ISO8601_FRAC_FORMAT);
}

}  // namespace

TEST_CASE("receivedAt is Poco's ISO 8601 text with microseconds", "[webhooks]") {
    // 2026-12-02T23:59:58.999998Z, then steps of 1 µs .. 0.7 s over midnight and a new year.
    for (const Poco::Timestamp::TimeVal start :
         {Poco::Timestamp::TimeVal(1796255998999998), Poco::Timestamp::TimeVal(1798761599999990),
          Poco::Timestamp::TimeVal(0)}) {
        Poco::Timestamp::TimeVal at = start;
        for (const Poco::Timestamp::TimeVal step : {1, 1, 1, 7, 250000, 700000, 1, 999999, 3}) {
            at += step;
            INFO(at);
            CHECK(receivedAtText(Poco::Timestamp(at)) == pocoText(Poco::Timestamp(at)));
        }
    }
    CHECK(receivedAtText(Poco::Timestamp(1796255998000001)) == "2026-12-02T23:59:58.000001Z");
}

TEST_CASE("receivedAt of now is the current time", "[webhooks]") {
    const Poco::Timestamp before;
    const std::string text = receivedAtText();
    const Poco::Timestamp after;
    CHECK(text >= pocoText(before));
    CHECK(text <= pocoText(after));
}
