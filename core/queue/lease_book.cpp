#include "queue/lease_book.hpp"

#include <iterator>
#include <limits>

namespace flowgate::queue {

void LeaseBook::add(std::int64_t itemId, std::uint64_t token, std::int64_t endMs) {
    const auto [at, inserted] = endOf_.try_emplace(itemId, endMs);
    if (!inserted) {
        byEnd_.erase({at->second, itemId});
        at->second = endMs;
    }
    byEnd_[{endMs, itemId}] = token;
}

void LeaseBook::drop(std::int64_t itemId, std::uint64_t token) {
    const auto at = endOf_.find(itemId);
    if (at == endOf_.end()) return;
    const auto entry = byEnd_.find({at->second, itemId});
    if (entry == byEnd_.end() || entry->second != token) return;
    byEnd_.erase(entry);
    endOf_.erase(at);
}

std::vector<LeaseBook::Lease> LeaseBook::ended(std::int64_t nowMs) const {
    std::vector<Lease> leases;
    for (auto at = byEnd_.begin(); at != byEnd_.end() && at->first.first <= nowMs; ++at) {
        leases.push_back({at->first.second, at->second, at->first.first});
    }
    return leases;
}

std::optional<std::int64_t> LeaseBook::nextEndAfter(std::int64_t nowMs) const {
    const auto at = byEnd_.upper_bound({nowMs, std::numeric_limits<std::int64_t>::max()});
    if (at == byEnd_.end()) return std::nullopt;
    return at->first.first;
}

std::int64_t LeaseBook::liveCount(std::int64_t nowMs) const {
    const auto ended = byEnd_.upper_bound({nowMs, std::numeric_limits<std::int64_t>::max()});
    return static_cast<std::int64_t>(byEnd_.size()) -
           static_cast<std::int64_t>(std::distance(byEnd_.begin(), ended));
}

}  // namespace flowgate::queue
