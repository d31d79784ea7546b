#include "queue/sqlite_db.hpp"

#include <sqlite3.h>

#include <limits>

#include "queue/sqlite_wal_vfs.hpp"

namespace flowgate::queue::sqlite {

Error::Error(int code, const std::string& what) : std::runtime_error(what), code_(code) {}

namespace {

// A statement journal (the pages a savepoint or a multi-row statement keeps to undo its
// changes) stays in memory up to this size, and goes to a temporary file beyond it.
// SQLite's default, 64 KiB, is 16 pages: history pruning, which runs in a savepoint on the
// writer, changes more than that, and spilling wrote every page it touched to a temporary
// file (12 % of the writer's time under sustained load, profiled). 4 MiB covers a prune
// batch with room to spare and still bounds the memory of a bulk admin change.
constexpr int kStatementJournalInMemoryBytes = 4 << 20;

}  // namespace

void configureSqlite() {
    // Without memory statistics, which nothing reads, SQLite takes no global mutex on every
    // malloc and free. Once SQLite is initialized sqlite3_config refuses (SQLITE_MISUSE) and
    // the defaults stay: slower, not wrong.
    static const bool configured = [] {
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
        sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, kStatementJournalInMemoryBytes);
        return true;
    }();
    (void)configured;
}

Db::Db(const std::filesystem::path& file) {
    configureSqlite();
    // NOMUTEX: each connection is used by one thread at a time (the queue guarantees it),
    // so SQLite's own per-connection mutex would only cost time.
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    // Through the WAL-buffering VFS: a commit's frames reach the WAL in one write.
    const int rc = sqlite3_open_v2(file.c_str(), &db_, flags, walBufferingVfs());
    if (rc != SQLITE_OK) {
        // sqlite3_open_v2 hands back a handle even on failure, so the message is readable.
        std::string message = "cannot open " + file.string() + ": " +
                              (db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw Error(rc, message);
    }
    sqlite3_extended_result_codes(db_, 1);
}

Db::~Db() {
    // Every Stmt of this connection is finalized by then (they are destroyed first), so
    // close() succeeds; close_v2 would only defer a leak.
    sqlite3_close(db_);
}

void Db::fail(int rc, std::string_view context) const {
    throw Error(rc, std::string(context) + ": " + sqlite3_errmsg(db_) + " (" +
                        sqlite3_errstr(rc) + ")");
}

void Db::exec(const char* sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        std::string message = std::string(sql) + ": " + (err != nullptr ? err : sqlite3_errstr(rc));
        sqlite3_free(err);
        throw Error(rc, message);
    }
}

std::string Db::queryText(const char* sql) {
    Stmt stmt(*this, sql);
    Stmt::Use use(stmt);
    if (!stmt.step()) {
        return {};
    }
    return stmt.columnText(0);
}

std::int64_t Db::queryInt(const char* sql) {
    Stmt stmt(*this, sql);
    Stmt::Use use(stmt);
    if (!stmt.step()) {
        return 0;
    }
    return stmt.columnInt(0);
}

int Db::changes() const noexcept { return sqlite3_changes(db_); }

std::int64_t Db::lastInsertRowid() const noexcept { return sqlite3_last_insert_rowid(db_); }

bool Db::autocommit() const noexcept { return sqlite3_get_autocommit(db_) != 0; }

Stmt::Stmt(Db& db, const char* sql) : db_(db), sql_(sql) {
    // PERSISTENT: the statement lives as long as the connection, so SQLite should not
    // take its memory from the lookaside pool meant for short-lived ones.
    const int rc = sqlite3_prepare_v3(db.handle(), sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_,
                                      nullptr);
    if (rc != SQLITE_OK) {
        db.fail(rc, "prepare " + sql_);
    }
}

Stmt::~Stmt() { sqlite3_finalize(stmt_); }

Stmt& Stmt::bind(int index, std::int64_t value) {
    const int rc = sqlite3_bind_int64(stmt_, index, value);
    if (rc != SQLITE_OK) {
        db_.fail(rc, "bind " + sql_);
    }
    return *this;
}

Stmt& Stmt::bind(int index, std::string_view text) {
    if (text.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
        throw Error(SQLITE_TOOBIG, "bind " + sql_ + ": value too large");
    }
    // SQLITE_STATIC: no copy of a message body that can be large; Use resets the
    // statement (and clears bindings) before the caller's string goes away.
    const int rc = sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()),
                                     SQLITE_STATIC);
    if (rc != SQLITE_OK) {
        db_.fail(rc, "bind " + sql_);
    }
    return *this;
}

Stmt& Stmt::bindNull(int index) {
    const int rc = sqlite3_bind_null(stmt_, index);
    if (rc != SQLITE_OK) {
        db_.fail(rc, "bind " + sql_);
    }
    return *this;
}

bool Stmt::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    db_.fail(rc, sql_);
}

void Stmt::run() {
    while (step()) {
    }
}

void Stmt::reset() noexcept {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

std::int64_t Stmt::columnInt(int col) const { return sqlite3_column_int64(stmt_, col); }

std::string Stmt::columnText(int col) const {
    // column_text first, then column_bytes: that order gives the UTF-8 length, and
    // embedded NULs survive because the length, not the terminator, is used.
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    const int size = sqlite3_column_bytes(stmt_, col);
    return text != nullptr ? std::string(text, static_cast<std::size_t>(size)) : std::string();
}

bool Stmt::columnIsNull(int col) const {
    return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

}  // namespace flowgate::queue::sqlite
