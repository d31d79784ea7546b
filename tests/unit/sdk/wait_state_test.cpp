// The typed resume API (flowgate/resume.hpp) reads what the engine records in meta.
#include <catch2/catch.hpp>

#include "flowgate/resume.hpp"

using namespace flowgate;
using nlohmann::json;

TEST_CASE("waitStateOf tells a first run, a resume and a timeout apart, for its own step",
          "[sdk]") {
    Message first;
    CHECK(waitStateOf(first, "approve").first());

    Message resumed;
    resumed.meta = {{"resume",
                     {{"step", "approve"},
                      {"method", "POST"},
                      {"body", {{"decision", "yes"}}},
                      {"query", {{"a", "1"}}},
                      {"headers", {{"content-type", "application/json"}}},
                      {"receivedAt", "2026-12-02T04:00:00.000000Z"}}}};
    const WaitState state = waitStateOf(resumed, "approve");
    REQUIRE(state.resumed() != nullptr);
    CHECK(state.resumed()->body == json{{"decision", "yes"}});
    CHECK(state.resumed()->method == "POST");
    CHECK(state.resumed()->query == json{{"a", "1"}});
    CHECK(state.timedOut() == nullptr);
    // Another wait step of the same flow does not take this resume for its own.
    CHECK(waitStateOf(resumed, "second-wait").first());

    Message timedOut;
    timedOut.meta = {{"wait", WaitRecord{"approve", "2026-12-02T04:00:00Z", "2026-12-02T05:00:00Z"}}};
    REQUIRE(waitStateOf(timedOut, "approve").timedOut() != nullptr);
    CHECK(waitStateOf(timedOut, "approve").timedOut()->timeoutAt == "2026-12-02T05:00:00Z");
    CHECK(waitStateOf(timedOut, "approve").resumed() == nullptr);
}
