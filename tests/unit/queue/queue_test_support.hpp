// Shared fixture of the SqliteQueue tests: a fresh data directory per test and helpers
// that make, lease and settle work items.
#pragma once

#include <catch2/catch.hpp>

#include <sqlite3.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "queue/sqlite_queue.hpp"
#include "support/temp_dir.hpp"

namespace flowgate::test {

// A fresh directory per test (removed afterwards) to hold the queue's files.
class QueueTempDir : public TempDir {
public:
    queue::SqliteQueueOptions options() const {
        queue::SqliteQueueOptions options;
        options.dataDir = path();
        return options;
    }
};

inline queue::NewWorkItem item(const std::string& message, const std::string& step = "step-1") {
    return queue::NewWorkItem{"flow-a", "exec-" + message, step, message};
}

inline queue::Outcome outcome(const queue::WorkItem& leased, queue::Outcome::Kind kind) {
    queue::Outcome o;
    o.itemId = leased.id;
    o.leaseToken = leased.leaseToken;
    o.kind = kind;
    return o;
}

// Leases everything ready now, without waiting.
inline std::vector<queue::WorkItem> takeAll(
    queue::SqliteQueue& queue, std::chrono::milliseconds lease = std::chrono::seconds(30)) {
    return queue.take(1000, lease, std::chrono::milliseconds(0));
}

// Runs `sql` on the queue's file through a connection of its own (as another program
// would: to make a file of an older layout, or to look at what is stored).
inline void execSql(const std::filesystem::path& file, const char* sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &error);
    INFO((error ? error : ""));
    sqlite3_free(error);
    sqlite3_close(db);
    REQUIRE(rc == SQLITE_OK);
}

inline std::int64_t queryInt(const std::filesystem::path& file, const char* sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
    const std::int64_t value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return value;
}

}  // namespace flowgate::test
