// What an operator may change in a queue: pause and resume flows, look at, replay and
// delete dead letters. Used by the admin API (admin/admin_api.hpp), never by the data path.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "queue/queue.hpp"

namespace flowgate::queue {

struct DeadLetterQuery {
    std::string flowId;                    // "" = every flow
    std::optional<std::int64_t> sinceMs;   // failedAt >= since
    std::optional<std::int64_t> untilMs;   // failedAt < until
    std::optional<std::int64_t> beforeId;  // the cursor: only id < beforeId
    std::size_t limit = 50;
};

// A work item whose last attempt failed, as the admin API shows it.
struct DeadLetter {
    std::int64_t id = 0;  // the dead-letter row (what replay and delete take), not the item
    std::string flowId;
    std::string executionId;
    std::string stepId;
    std::string message;
    std::string error;
    int attempts = 0;
    std::int64_t failedAtMs = 0;  // Unix epoch, milliseconds
};

struct DeadLetterPage {
    std::vector<DeadLetter> items;  // newest first
    std::optional<std::int64_t> nextBeforeId;
};

// Thread-safe. Changes go through the queue's writer (one transaction each, durable when
// the call returns); reads never wait for it. Throws QueueUnavailable when the store
// cannot take or answer the call.
class QueueAdmin {
public:
    virtual ~QueueAdmin() = default;

    // Paused flows keep accepting (enqueue stores as usual) but take() skips their items
    // until resumed; then they are taken in their original order. Persisted.
    virtual void setPaused(const std::string& flowId, bool paused) = 0;
    virtual std::set<std::string> pausedFlows() = 0;

    virtual DeadLetterPage deadLetterPage(const DeadLetterQuery& query) = 0;
    // Moves dead letter `id` back to the work items: the step that failed runs again on
    // its stored message with a fresh attempt count; the execution's history gets a
    // "replayed" attempt and turns running. Returns its executionId, nullopt if no such
    // dead letter.
    virtual std::optional<std::string> replayDeadLetter(std::int64_t id) = 0;
    // Replays every dead letter matching `query` (its cursor and limit are ignored), at
    // most `max`, in one transaction. Returns how many.
    virtual std::int64_t replayDeadLetters(const DeadLetterQuery& query, std::size_t max) = 0;
    // False if no such dead letter.
    virtual bool deleteDeadLetter(std::int64_t id) = 0;
};

}  // namespace flowgate::queue
