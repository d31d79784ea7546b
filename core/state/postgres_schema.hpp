// The shared state's tables, created and migrated when a process opens the state.
#pragma once

#include "state/pg_connection.hpp"

namespace flowgate::state {

// The schema version this build writes.
inline constexpr int kSchemaVersion = 1;

// Brings the database to kSchemaVersion: every migration above the stored version, in one
// transaction under an advisory lock, so processes starting together migrate once.
// Throws pg::Error, or std::runtime_error if the database is newer than this build.
void migrate(pg::Pool& pool);

// The server's clock in Unix epoch milliseconds, as SQL (the statement's transaction
// start: one value for every row a transaction writes).
inline constexpr const char* kNowMs = "flowgate_now_ms()";

}  // namespace flowgate::state
