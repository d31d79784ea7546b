#include "runtime/failed_attempt.hpp"

namespace flowgate::runtime {

queue::Outcome failedAttempt(const queue::WorkItem& item, const config::RetryPolicy& policy,
                             std::string error) {
    queue::Outcome outcome;
    outcome.itemId = item.id;
    outcome.leaseToken = item.leaseToken;
    outcome.failed = true;
    outcome.error = std::move(error);
    const int attempt = item.failedAttempts + 1;
    if (attempt >= policy.maxAttempts) {
        outcome.kind = queue::Outcome::Kind::deadLetter;
    } else {
        outcome.kind = queue::Outcome::Kind::retry;
        outcome.delay = policy.delayBeforeRetry(attempt);
    }
    return outcome;
}

queue::Outcome permanentFailure(const queue::WorkItem& item, std::string error) {
    queue::Outcome outcome;
    outcome.itemId = item.id;
    outcome.leaseToken = item.leaseToken;
    outcome.failed = true;
    outcome.error = std::move(error);
    outcome.kind = queue::Outcome::Kind::deadLetter;
    return outcome;
}

std::string describePermanentFailure(const queue::WorkItem& item, const config::RetryPolicy& policy) {
    return "attempt " + std::to_string(item.failedAttempts + 1) + " of " +
           std::to_string(policy.maxAttempts) + " failed permanently, dead-lettered";
}

std::string describeFailedAttempt(const queue::WorkItem& item, const config::RetryPolicy& policy,
                                  const queue::Outcome& outcome) {
    std::string text = "attempt " + std::to_string(item.failedAttempts + 1) + " of " +
                       std::to_string(policy.maxAttempts) + " failed, ";
    if (outcome.kind == queue::Outcome::Kind::deadLetter) return text + "dead-lettered";
    return text + "retry in " + std::to_string(outcome.delay.count()) + " ms";
}

}  // namespace flowgate::runtime
