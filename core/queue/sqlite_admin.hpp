// The SQL of the operator's changes and reads (queue/queue_admin.hpp) in the queue's
// SQLite file. Private to the queue library: SqliteQueue runs the changes on its writer
// thread inside a batch transaction, and the reads on its read connection.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "queue/queue_admin.hpp"
#include "queue/sqlite_db.hpp"
#include "queue/sqlite_history.hpp"

namespace flowgate::queue {

// Creates the pause table (idempotent; inside the opening transaction).
void createAdminSchema(sqlite::Db& db);

// The value of work_items.paused for a new item of the flow `flowId` (an SQL expression).
inline std::string pausedFlow(const char* flowId) {
    return std::string("EXISTS (SELECT 1 FROM paused_flows p WHERE p.flow_id = ") + flowId + ")";
}

// What a change did to the queue, for its in-memory counters.
struct AdminEffects {
    std::int64_t stored = 0;
    std::int64_t bytes = 0;
    std::int64_t dead = 0;
    bool madeReady = false;
};

// Writer thread, inside the batch transaction.
AdminEffects setPausedIn(sqlite::Db& db, const std::string& flowId, bool paused, std::int64_t now);
// Replays dead-letter rows; `history` records a "replayed" attempt for each.
AdminEffects replayIn(sqlite::Db& db, SqliteHistory& history, const DeadLetterQuery& filter,
                      std::optional<std::int64_t> onlyId, std::size_t max, std::int64_t now,
                      std::optional<std::string>& firstExecution, std::int64_t& replayed);
AdminEffects deleteDeadLetterIn(sqlite::Db& db, std::int64_t id, bool& deleted);

// Read connection.
std::set<std::string> readPausedFlows(sqlite::Db& db);
DeadLetterPage readDeadLetterPage(sqlite::Db& db, const DeadLetterQuery& query);

}  // namespace flowgate::queue
