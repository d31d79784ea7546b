#include "webhooks/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace flowgate::http {

long long RateLimiter::acquire(const std::string& flowId, const flow::RateLimit& limit,
                               Clock::time_point now) {
    const double perSecond = limit.requests / limit.periodSeconds;
    std::lock_guard lock(mutex_);
    auto it = buckets_.find(flowId);
    if (it == buckets_.end() || it->second.capacity != limit.requests ||
        it->second.perSecond != perSecond)
        it = buckets_.insert_or_assign(flowId, Bucket{limit.requests, limit.requests, perSecond, now})
                 .first;
    Bucket& bucket = it->second;
    const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
    bucket.tokens = std::min(bucket.capacity, bucket.tokens + std::max(0.0, elapsed) * perSecond);
    bucket.updated = now;
    if (bucket.tokens >= 1.0) {
        bucket.tokens -= 1.0;
        return 0;
    }
    return std::max(1LL, static_cast<long long>(std::ceil((1.0 - bucket.tokens) / perSecond)));
}

}  // namespace flowgate::http
