// Counts what SQLite writes to disk, by file kind: pages appended to WAL files (frames)
// and pages written into database files (by checkpoints), and the fsyncs of each; and the
// bytes written to temporary files (statement journals, temporary tables and indexes).
//
// A VFS shim over the default one, made the default while the object lives, so every
// connection opened meanwhile (the queue's own, which no test can reach) is counted. Used
// by tests and bench/queue_bench to see how many pages an operation costs; it changes
// nothing SQLite does. One at a time per process; create it before opening the queue and
// destroy it after closing it.
#pragma once

#include <cstdint>
#include <map>

struct sqlite3_vfs;

namespace flowgate::test {

struct SqliteIoCounts {
    std::int64_t walFrames = 0;      // page-sized writes to -wal files
    std::int64_t databasePages = 0;  // page-sized writes to main database files
    std::int64_t walSyncs = 0;
    std::int64_t databaseSyncs = 0;
    std::int64_t temporaryBytes = 0;

    SqliteIoCounts operator-(const SqliteIoCounts& earlier) const {
        return {walFrames - earlier.walFrames, databasePages - earlier.databasePages,
                walSyncs - earlier.walSyncs, databaseSyncs - earlier.databaseSyncs,
                temporaryBytes - earlier.temporaryBytes};
    }
};

class SqliteIoCounter {
public:
    // `pageSize`: writes of exactly this many bytes are pages (a WAL frame is written as
    // a 24-byte header and then its page, or with others in one write by the queue's
    // WAL-buffering VFS: both are counted frame by frame). Applies the queue's process-wide
    // SQLite settings first (sqlite::configureSqlite), which registering a VFS would
    // otherwise shut out, so what is counted is what the engine does.
    explicit SqliteIoCounter(int pageSize = 4096);
    ~SqliteIoCounter();
    SqliteIoCounter(const SqliteIoCounter&) = delete;
    SqliteIoCounter& operator=(const SqliteIoCounter&) = delete;

    // Totals since construction; may be read while other threads write.
    SqliteIoCounts counts() const;
    // WAL frames written since construction, by database page number (read from each
    // frame's header): which tables and indexes the writes went to (see dbstat).
    std::map<std::uint32_t, std::int64_t> walFramesByPage() const;

private:
    sqlite3_vfs* previousDefault_;
};

}  // namespace flowgate::test
