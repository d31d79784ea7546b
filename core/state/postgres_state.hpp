// SharedState in PostgreSQL through libpq. Every process of a distributed engine opens
// one; they share nothing but the database.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "state/shared_state.hpp"

namespace flowgate::state {

struct PostgresStateOptions {
    // A libpq connection string or postgresql:// URI (secret: never logged).
    std::string url;
    // Connections kept open: one per thread using the state at a time (more callers wait).
    std::size_t connections = 4;
    // How long a connect or a statement may take before the call fails (QueueUnavailable).
    std::chrono::milliseconds timeout{5000};
    // How long a Publish row stays claimed by the process it was handed to.
    std::chrono::milliseconds publishClaim{30000};
    // History retention, as queue::HistoryOptions.
    std::size_t maxMessageBytes = 64 * 1024;
    std::chrono::milliseconds maxAge = std::chrono::hours(24 * 7);
    std::int64_t maxExecutions = 100'000;
};

// Connects, creates or migrates the schema (versioned; concurrent starts are safe), and
// returns the state. Throws queue::QueueUnavailable if the server cannot be reached or the
// schema is newer than this build knows. A server that goes away later makes calls throw
// QueueUnavailable until it is back; connections are made again on the next call.
std::unique_ptr<SharedState> openPostgresState(const PostgresStateOptions& options);

}  // namespace flowgate::state
