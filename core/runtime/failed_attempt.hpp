// What a failed attempt becomes, decided in one place for the worker (a step failed) and
// the intake (a worker died or passed a step's deadline while running it).
#pragma once

#include <string>

#include "config/engine_config.hpp"
#include "queue/queue.hpp"

namespace flowgate::runtime {

// A retry after `policy`'s backoff, or a dead letter once `item`'s attempt (counted at
// take: failedAttempts + 1) is the policy's last. `error` is stored as the item's last
// error and must be UTF-8 (common::replaceInvalidUtf8).
queue::Outcome failedAttempt(const queue::WorkItem& item, const config::RetryPolicy& policy,
                             std::string error);

// A failure the step declared permanent (flowgate::PermanentFailure): a dead letter at
// once, whatever attempts `policy` has left.
queue::Outcome permanentFailure(const queue::WorkItem& item, std::string error);

// "attempt 2 of 3 failed, retry in 40 ms" or "attempt 3 of 3 failed, dead-lettered".
std::string describeFailedAttempt(const queue::WorkItem& item, const config::RetryPolicy& policy,
                                  const queue::Outcome& outcome);

// "attempt 1 of 5 failed permanently, dead-lettered".
std::string describePermanentFailure(const queue::WorkItem& item, const config::RetryPolicy& policy);

}  // namespace flowgate::runtime
