// Per-flow rate limits: a token bucket per flow, refilled continuously.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "flow/flow.hpp"

namespace flowgate::http {

// Thread-safe. Buckets live as long as the limiter; a flow whose limit changes on reload
// gets a bucket with the new size.
class RateLimiter {
public:
    using Clock = std::chrono::steady_clock;

    // Takes a token for `flowId`. Returns 0 if allowed, otherwise how many whole seconds
    // the caller should wait (for Retry-After).
    long long acquire(const std::string& flowId, const flow::RateLimit& limit,
                      Clock::time_point now = Clock::now());

private:
    struct Bucket {
        double tokens;
        double capacity;
        double perSecond;
        Clock::time_point updated;
    };
    std::mutex mutex_;
    std::map<std::string, Bucket, std::less<>> buckets_;
};

}  // namespace flowgate::http
