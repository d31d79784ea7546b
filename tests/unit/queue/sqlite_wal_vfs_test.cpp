// The WAL-buffering VFS, through SQLite itself on real files: what one connection commits,
// another reads; a process killed right after COMMIT returned loses nothing; and writes
// that are not appends (WAL restart, a frame rewritten in place, a cache spill read back)
// land where they belong.
#include <catch2/catch.hpp>

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

#include "queue/sqlite_wal_vfs.hpp"
#include "support/temp_dir.hpp"

namespace flowgate::test {
namespace {

using queue::sqlite::walBufferingVfs;

sqlite3* open(const std::filesystem::path& file, const char* vfs) {
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                                   vfs);
    REQUIRE(rc == SQLITE_OK);
    return db;
}

void exec(sqlite3* db, const std::string& sql) {
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    INFO(sql << ": " << (error ? error : ""));
    sqlite3_free(error);
    REQUIRE(rc == SQLITE_OK);
}

std::string text(sqlite3* db, const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
    const auto* value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    std::string result = value ? value : "";
    sqlite3_finalize(stmt);
    return result;
}

std::int64_t integer(sqlite3* db, const char* sql) { return std::stoll(text(db, sql)); }

sqlite3* openWal(const std::filesystem::path& file, const char* synchronous) {
    sqlite3* db = open(file, walBufferingVfs());
    exec(db, "PRAGMA journal_mode = WAL");
    exec(db, std::string("PRAGMA synchronous = ") + synchronous);
    exec(db, "PRAGMA wal_autocheckpoint = 0");
    exec(db, "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)");
    return db;
}

// What a program opening the file afterwards finds: `rows` rows and a sound file.
void checkReopened(const std::filesystem::path& file, std::int64_t rows) {
    sqlite3* db = open(file, nullptr);
    CHECK(integer(db, "SELECT COUNT(*) FROM t") == rows);
    CHECK(text(db, "PRAGMA integrity_check") == "ok");
    sqlite3_close(db);
}

// A row of about one page, so every commit writes several frames.
const char* kInsert = "INSERT INTO t (v) VALUES (printf('%.3000c', 'x') || hex(randomblob(8)))";

}  // namespace

TEST_CASE("WAL-buffering VFS: commits are readable by other connections at once", "[queue][vfs]") {
    const char* synchronous = GENERATE("FULL", "NORMAL");
    INFO("synchronous = " << synchronous);
    TempDir dir;
    const auto file = dir / "wal.db";
    sqlite3* writer = openWal(file, synchronous);
    sqlite3* sameVfs = open(file, walBufferingVfs());
    sqlite3* defaultVfs = open(file, nullptr);  // as another program would
    for (int i = 1; i <= 20; ++i) {
        exec(writer, "BEGIN");
        for (int j = 0; j < 5; ++j) exec(writer, kInsert);
        exec(writer, "COMMIT");
        CHECK(integer(sameVfs, "SELECT COUNT(*) FROM t") == i * 5);
        CHECK(integer(defaultVfs, "SELECT COUNT(*) FROM t") == i * 5);
    }
    CHECK(text(defaultVfs, "PRAGMA integrity_check") == "ok");
    sqlite3_close(defaultVfs);
    sqlite3_close(sameVfs);
    sqlite3_close(writer);
}

TEST_CASE("WAL-buffering VFS: a process killed after COMMIT returned loses nothing",
          "[queue][vfs]") {
    TempDir dir;
    const auto file = dir / "wal.db";
    sqlite3_close(openWal(file, "FULL"));
    int pipeFds[2];
    REQUIRE(::pipe(pipeFds) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // Commit, report each commit once it returned, then die without closing anything.
        ::close(pipeFds[0]);
        sqlite3* db = openWal(file, "FULL");
        for (int i = 0; i < 30; ++i) {
            if (sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) ::_exit(1);
            for (int j = 0; j < 3; ++j) {
                if (sqlite3_exec(db, kInsert, nullptr, nullptr, nullptr) != SQLITE_OK) ::_exit(1);
            }
            if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) ::_exit(1);
            const char committed = 1;
            if (::write(pipeFds[1], &committed, 1) != 1) ::_exit(1);
        }
        ::kill(::getpid(), SIGKILL);
        ::_exit(1);
    }
    ::close(pipeFds[1]);
    int reported = 0;
    char byte = 0;
    while (::read(pipeFds[0], &byte, 1) == 1) ++reported;
    ::close(pipeFds[0]);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFSIGNALED(status));
    REQUIRE(reported == 30);

    checkReopened(file, 90);
}

TEST_CASE("WAL-buffering VFS: restarts, in-place rewrites and cache spills land where they belong",
          "[queue][vfs]") {
    TempDir dir;
    const auto file = dir / "wal.db";
    sqlite3* writer = openWal(file, "FULL");
    // A cache of 10 pages: a transaction of 200 rows spills frames to the WAL and reads
    // them back before its commit; updating the rows again rewrites frames in place.
    exec(writer, "PRAGMA cache_size = 10");
    sqlite3* reader = open(file, nullptr);
    for (int round = 1; round <= 3; ++round) {
        exec(writer, "BEGIN");
        for (int j = 0; j < 200; ++j) exec(writer, kInsert);
        exec(writer, "UPDATE t SET v = 'round " + std::to_string(round) + "-' || id");
        for (int j = 0; j < 50; ++j) exec(writer, kInsert);
        exec(writer, "COMMIT");
        CHECK(integer(reader, "SELECT COUNT(*) FROM t") == round * 250);
        CHECK(integer(reader, ("SELECT COUNT(*) FROM t WHERE v = 'round " +
                               std::to_string(round) + "-' || id").c_str()) == round * 200 +
                                                                                (round - 1) * 50);
        CHECK(text(reader, "PRAGMA integrity_check") == "ok");
        // Copies everything back and makes the next commit write the WAL from offset 0.
        int logFrames = -1, copied = -1;
        REQUIRE(sqlite3_wal_checkpoint_v2(writer, nullptr, SQLITE_CHECKPOINT_RESTART, &logFrames,
                                          &copied) == SQLITE_OK);
        CHECK(logFrames == copied);
    }
    sqlite3_close(reader);
    sqlite3_close(writer);
    checkReopened(file, 750);
}

TEST_CASE("WAL-buffering VFS: writes at any offset of a WAL file land at that offset",
          "[queue][vfs]") {
    TempDir dir;
    // The unix VFS gives a WAL file its database's permissions, so that file must exist.
    const auto database = dir / "direct.db";
    writeFile(database, "");
    const auto path = dir / "direct.db-wal";
    sqlite3_filename names = sqlite3_create_filename(database.c_str(), "", path.c_str(), 0,
                                                     nullptr);
    sqlite3_vfs* vfs = sqlite3_vfs_find(walBufferingVfs());
    REQUIRE(vfs != nullptr);
    std::string memory(static_cast<std::size_t>(vfs->szOsFile), '\0');
    auto* file = reinterpret_cast<sqlite3_file*>(memory.data());
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_WAL;
    REQUIRE(vfs->xOpen(vfs, sqlite3_filename_wal(names), file, flags, nullptr) == SQLITE_OK);
    auto write = [&](const std::string& bytes, sqlite3_int64 offset) {
        REQUIRE(file->pMethods->xWrite(file, bytes.data(), static_cast<int>(bytes.size()),
                                       offset) == SQLITE_OK);
    };
    std::string expected(300'000, '.');
    auto both = [&](const std::string& bytes, sqlite3_int64 offset) {
        write(bytes, offset);
        expected.replace(static_cast<std::size_t>(offset), bytes.size(), bytes);
    };
    // (No write of 128 KiB or more: the unix VFS below cannot make one, nor does SQLite.)
    for (int i = 0; i < 3; ++i) both(std::string(100'000, '.'), i * 100'000);  // past the buffer's bound
    both("aaaa", 100);                     // buffered
    both("bbbb", 104);                     // appended
    both("XY", 102);                       // inside the buffered range
    both("cccc", 50);                      // before it: buffer written first
    both(std::string(120'000, 'd'), 60);   // over all of it
    for (int i = 0; i < 40; ++i) both(std::string(4120, static_cast<char>('e' + i % 20)), 200'000 + i * 4120);
    char back[4] = {};
    REQUIRE(file->pMethods->xRead(file, back, 4, 200'000) == SQLITE_OK);  // sees its own writes
    CHECK(std::string(back, 4) == "eeee");
    sqlite3_int64 size = 0;
    REQUIRE(file->pMethods->xFileSize(file, &size) == SQLITE_OK);
    CHECK(size == static_cast<sqlite3_int64>(expected.size()));
    both("ffff", 0);  // left in the buffer: close writes it
    REQUIRE(file->pMethods->xClose(file) == SQLITE_OK);
    sqlite3_free_filename(names);

    std::ifstream in(path, std::ios::binary);
    const std::string actual((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(actual.size() == expected.size());
    CHECK(actual == expected);
}

}  // namespace flowgate::test
