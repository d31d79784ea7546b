#include <catch2/catch.hpp>

#include "runtime/failed_attempt.hpp"

using namespace flowgate;

TEST_CASE("a failed attempt is retried with backoff until the last, then dead-lettered",
          "[runtime]") {
    config::RetryPolicy policy;
    policy.maxAttempts = 3;
    policy.initialDelay = std::chrono::milliseconds(100);
    queue::WorkItem item{5, 6, "f", "e", "s", "", 0};

    auto first = runtime::failedAttempt(item, policy, "worker exited on signal 11 (SIGSEGV)");
    CHECK(first.kind == queue::Outcome::Kind::retry);
    CHECK(first.failed);
    CHECK(first.itemId == 5);
    CHECK(first.leaseToken == 6);
    CHECK(first.delay.count() > 0);
    CHECK(runtime::describeFailedAttempt(item, policy, first)
              .find("attempt 1 of 3 failed, retry in ") == 0);
    CHECK(runtime::describeFailedAttempt(item, policy, first).find(" ms") != std::string::npos);

    item.failedAttempts = 2;  // this is the third
    auto last = runtime::failedAttempt(item, policy, "step exceeded its deadline");
    CHECK(last.kind == queue::Outcome::Kind::deadLetter);
    CHECK(last.error == "step exceeded its deadline");
    CHECK(runtime::describeFailedAttempt(item, policy, last) ==
          "attempt 3 of 3 failed, dead-lettered");
}
