// Thin RAII wrappers over the sqlite3 C API, private to the queue library.
//
// They exist so that every error becomes an exception carrying SQLite's error code (the
// queue decides from the code whether one operation or the whole batch failed), and so
// that a statement is always reset after use: a statement left mid-step keeps a read
// transaction open, which pins the WAL and stops checkpoints.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace flowgate::queue::sqlite {

// A failed sqlite3 call. `code()` is the extended result code (SQLITE_FULL,
// SQLITE_IOERR_FSYNC, SQLITE_CONSTRAINT_PRIMARYKEY, ...); `primaryCode()` its low byte.
class Error : public std::runtime_error {
public:
    Error(int code, const std::string& what);
    int code() const noexcept { return code_; }
    int primaryCode() const noexcept { return code_ & 0xff; }

private:
    int code_;
};

// Process-wide SQLite settings (memory statistics off), which SQLite takes only before it
// initializes: Db's constructor calls it, and so must a program that touches SQLite before
// its first Db (queue_bench's I/O counter). Thread-safe, once per process.
void configureSqlite();

// One database connection. Not thread-safe: it is opened in multi-thread mode (no SQLite
// mutex), so its owner must make sure only one thread uses it at a time.
class Db {
public:
    // Opens (creating if needed) the database file; throws Error on failure.
    explicit Db(const std::filesystem::path& file);
    ~Db();
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;

    // Runs one or more SQL statements that return no rows we care about.
    void exec(const char* sql);
    // Runs a statement returning one row of one column (PRAGMA journal_mode=WAL, COUNT(*)).
    std::string queryText(const char* sql);
    std::int64_t queryInt(const char* sql);

    // Rows changed by the last INSERT/UPDATE/DELETE on this connection.
    int changes() const noexcept;
    // The rowid of the last row this connection inserted.
    std::int64_t lastInsertRowid() const noexcept;
    // False while a transaction is open. SQLite may roll a transaction back on its own
    // after SQLITE_FULL/IOERR/NOMEM/BUSY; this is how the caller finds out.
    bool autocommit() const noexcept;

    sqlite3* handle() const noexcept { return db_; }

    // Throws Error for `rc` with this connection's message.
    [[noreturn]] void fail(int rc, std::string_view context) const;

private:
    sqlite3* db_ = nullptr;
};

// A statement prepared once and reused for the life of its connection. Not thread-safe
// (same rule as its Db, which must outlive it). Parameters are 1-based, columns 0-based.
class Stmt {
public:
    Stmt(Db& db, const char* sql);
    ~Stmt();
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;

    // Binding text does not copy it: the text must live until reset() (Use guarantees
    // that by resetting at the end of the caller's scope).
    Stmt& bind(int index, std::int64_t value);
    Stmt& bind(int index, std::string_view text);
    Stmt& bindNull(int index);

    // Steps once: true if a row is available, false when done. Throws Error otherwise.
    bool step();
    // Steps to completion, for statements that return no rows.
    void run();
    // Resets the statement and clears its bindings; never throws.
    void reset() noexcept;

    std::int64_t columnInt(int col) const;
    std::string columnText(int col) const;
    bool columnIsNull(int col) const;

    // Resets `stmt` when the scope ends, whether it completed or threw.
    class Use {
    public:
        explicit Use(Stmt& stmt) : stmt_(stmt) {}
        ~Use() { stmt_.reset(); }
        Use(const Use&) = delete;
        Use& operator=(const Use&) = delete;
        Stmt* operator->() { return &stmt_; }

    private:
        Stmt& stmt_;
    };

private:
    Db& db_;
    sqlite3_stmt* stmt_ = nullptr;
    std::string sql_;  // for error messages
};

}  // namespace flowgate::queue::sqlite
