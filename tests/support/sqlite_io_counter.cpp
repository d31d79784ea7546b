#include "support/sqlite_io_counter.hpp"

#include <sqlite3.h>

#include <atomic>
#include <mutex>
#include <stdexcept>

#include "queue/sqlite_db.hpp"
#include "queue/sqlite_vfs_forwarding.hpp"

namespace flowgate::test {

namespace {

// One counter per process (the VFS is process-wide), so its state is too.
std::atomic<std::int64_t> walFrames{0}, databasePages{0}, walSyncs{0}, databaseSyncs{0},
    temporaryBytes{0};
int countedPageSize = 4096;
std::mutex framesByPageMutex;
std::map<std::uint32_t, std::int64_t> framesByPage;
sqlite3_vfs* real = nullptr;  // the default VFS the shim forwards to

enum class Kind { database, wal, temporary, other };

constexpr int kTemporaryFiles = SQLITE_OPEN_SUBJOURNAL | SQLITE_OPEN_TEMP_JOURNAL |
                                SQLITE_OPEN_TEMP_DB | SQLITE_OPEN_TRANSIENT_DB;

// Our file object, followed in memory by the real VFS's own.
struct CountedFile {
    sqlite3_file base;
    Kind kind;
    // A WAL's: where the page of the frame header last written goes, if that write ended
    // with the header (-1: none).
    sqlite3_int64 pageDueAt;
    sqlite3_file* inner() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};

sqlite3_file* innerOf(sqlite3_file* f) {
    return reinterpret_cast<CountedFile*>(f)->inner();
}
Kind kindOf(sqlite3_file* f) {
    return reinterpret_cast<CountedFile*>(f)->kind;
}
using Forward = queue::sqlite::ForwardFile<innerOf>;

// A WAL frame header starts with the frame's page number, big-endian.
constexpr int kWalFrameHeaderBytes = 24;
constexpr int kWalHeaderBytes = 32;

void countFrameHeader(const unsigned char* b) {
    const std::uint32_t page = (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) |
                               (std::uint32_t{b[2]} << 8) | std::uint32_t{b[3]};
    std::lock_guard lock(framesByPageMutex);
    ++framesByPage[page];
}

// Frame i's header is at kWalHeaderBytes + i * (header + page): frames are counted (and
// their pages read from their headers) by the offsets a write covers. SQLite writes a frame
// as its header and then its page; the queue's WAL-buffering VFS above this one hands down
// many frames in one write, which may start with the page of a header it wrote last time
// (not counted again) and end with a header alone. A page written alone otherwise is a
// page of the open transaction rewritten in place, counted as a frame as well.
void countWalWrite(CountedFile* file, const unsigned char* b, int n, sqlite3_int64 off) {
    const sqlite3_int64 frameBytes = kWalFrameHeaderBytes + countedPageSize;
    const sqlite3_int64 end = off + n;
    if (off != file->pageDueAt && n == countedPageSize && off > kWalHeaderBytes &&
        (off - kWalHeaderBytes) % frameBytes == kWalFrameHeaderBytes) {
        ++walFrames;
    }
    file->pageDueAt = -1;
    sqlite3_int64 header = kWalHeaderBytes;
    if (off > kWalHeaderBytes) {
        header += (off - kWalHeaderBytes + frameBytes - 1) / frameBytes * frameBytes;
    }
    for (; header + kWalFrameHeaderBytes <= end; header += frameBytes) {
        countFrameHeader(b + (header - off));
        ++walFrames;
        if (header + kWalFrameHeaderBytes == end) file->pageDueAt = end;
    }
}

int fileWrite(sqlite3_file* f, const void* p, int n, sqlite3_int64 off) {
    if (kindOf(f) == Kind::wal) {
        countWalWrite(reinterpret_cast<CountedFile*>(f), static_cast<const unsigned char*>(p), n,
                      off);
    }
    if (kindOf(f) == Kind::database && n == countedPageSize) ++databasePages;
    if (kindOf(f) == Kind::temporary) temporaryBytes += n;
    return Forward::write(f, p, n, off);
}
int fileSync(sqlite3_file* f, int flags) {
    if (kindOf(f) == Kind::wal) ++walSyncs;
    if (kindOf(f) == Kind::database) ++databaseSyncs;
    return Forward::sync(f, flags);
}

const sqlite3_io_methods countedMethods = {
    3,
    Forward::close,
    Forward::read,
    fileWrite,
    Forward::truncate,
    fileSync,
    Forward::size,
    Forward::lock,
    Forward::unlock,
    Forward::checkReserved,
    Forward::control,
    Forward::sectorSize,
    Forward::device,
    Forward::shmMap,
    Forward::shmLock,
    Forward::shmBarrier,
    Forward::shmUnmap,
    Forward::fetch,
    Forward::unfetch,
};

int vfsOpen(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* outFlags) {
    auto* counted = reinterpret_cast<CountedFile*>(f);
    counted->pageDueAt = -1;
    counted->kind = (flags & SQLITE_OPEN_MAIN_DB)    ? Kind::database
                    : (flags & SQLITE_OPEN_WAL)      ? Kind::wal
                    : (flags & kTemporaryFiles) != 0 ? Kind::temporary
                                                     : Kind::other;
    const int rc = real->xOpen(real, name, counted->inner(), flags, outFlags);
    // SQLite calls xClose only on a file whose pMethods is set.
    counted->base.pMethods = counted->inner()->pMethods ? &countedMethods : nullptr;
    return rc;
}

sqlite3_vfs* realVfs() { return real; }

// The default VFS, once the queue's process-wide settings are applied: looking it up
// initializes SQLite, after which they could no longer be.
sqlite3_vfs* defaultVfsOfConfiguredSqlite() {
    queue::sqlite::configureSqlite();
    return sqlite3_vfs_find(nullptr);
}

sqlite3_vfs countingVfs{};

}  // namespace

SqliteIoCounter::SqliteIoCounter(int pageSize)
    : previousDefault_(defaultVfsOfConfiguredSqlite()) {
    if (real) throw std::logic_error("SqliteIoCounter: one at a time");
    real = previousDefault_;
    countedPageSize = pageSize;
    walFrames = databasePages = walSyncs = databaseSyncs = temporaryBytes = 0;
    {
        std::lock_guard lock(framesByPageMutex);
        framesByPage.clear();
    }
    countingVfs = queue::sqlite::forwardingVfs<realVfs>(
        "flowgate-io-counter", static_cast<int>(sizeof(CountedFile)) + real->szOsFile, vfsOpen);
    if (sqlite3_vfs_register(&countingVfs, 1) != SQLITE_OK) {
        real = nullptr;
        throw std::runtime_error("SqliteIoCounter: cannot register the VFS");
    }
}

SqliteIoCounter::~SqliteIoCounter() {
    sqlite3_vfs_unregister(&countingVfs);
    sqlite3_vfs_register(previousDefault_, 1);
    real = nullptr;
}

SqliteIoCounts SqliteIoCounter::counts() const {
    return {walFrames.load(), databasePages.load(), walSyncs.load(), databaseSyncs.load(),
            temporaryBytes.load()};
}

std::map<std::uint32_t, std::int64_t> SqliteIoCounter::walFramesByPage() const {
    std::lock_guard lock(framesByPageMutex);
    return framesByPage;
}

}  // namespace flowgate::test
