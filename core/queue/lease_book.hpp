// The leases the queue's writer granted and has not seen settled, by the time they end.
// Leased items are not in the index takers read (work_items_ready holds only unleased
// items), so a lease that ran out is found here instead of by a second index entry that
// every take would write and every settle delete again.
// Writer thread only, but for liveCount() (stats), which callers serialise with the
// writer's changes themselves.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

namespace flowgate::queue {

class LeaseBook {
public:
    struct Lease {
        std::int64_t itemId = 0;
        std::uint64_t token = 0;
        std::int64_t endMs = 0;
    };

    // Records a lease; replaces the item's previous one (a lease that ran out, retaken).
    void add(std::int64_t itemId, std::uint64_t token, std::int64_t endMs);
    // Forgets the item's lease if it is still the one of `token`: a settle that lost its
    // lease must not forget the new holder's.
    void drop(std::int64_t itemId, std::uint64_t token);
    // The leases ended at `nowMs`, earliest end first (then by item id). An entry can be
    // stale (its settle failed with its batch): the caller checks it against the file.
    std::vector<Lease> ended(std::int64_t nowMs) const;
    // The first end after `nowMs`, when an item becomes ready by time alone.
    std::optional<std::int64_t> nextEndAfter(std::int64_t nowMs) const;
    // Leases not ended at `nowMs`.
    std::int64_t liveCount(std::int64_t nowMs) const;

private:
    std::map<std::pair<std::int64_t, std::int64_t>, std::uint64_t> byEnd_;  // (end, id)
    std::unordered_map<std::int64_t, std::int64_t> endOf_;                 // id -> end
};

}  // namespace flowgate::queue
