#include "support/sqlite_io_counter.hpp"

#include <sqlite3.h>

#include <atomic>
#include <mutex>
#include <stdexcept>

namespace flowgate::test {

namespace {

// One counter per process (the VFS is process-wide), so its state is too.
std::atomic<std::int64_t> walFrames{0}, databasePages{0}, walSyncs{0}, databaseSyncs{0};
int countedPageSize = 4096;
std::mutex framesByPageMutex;
std::map<std::uint32_t, std::int64_t> framesByPage;
sqlite3_vfs* real = nullptr;  // the default VFS the shim forwards to

enum class Kind { database, wal, other };

// Our file object, followed in memory by the real VFS's own.
struct CountedFile {
    sqlite3_file base;
    Kind kind;
    sqlite3_file* inner() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};

sqlite3_file* innerOf(sqlite3_file* f) {
    return reinterpret_cast<CountedFile*>(f)->inner();
}
Kind kindOf(sqlite3_file* f) {
    return reinterpret_cast<CountedFile*>(f)->kind;
}

int fileClose(sqlite3_file* f) {
    return innerOf(f)->pMethods->xClose(innerOf(f));
}
int fileRead(sqlite3_file* f, void* p, int n, sqlite3_int64 off) {
    return innerOf(f)->pMethods->xRead(innerOf(f), p, n, off);
}
// A WAL frame header starts with the frame's page number, big-endian.
constexpr int kWalFrameHeaderBytes = 24;
constexpr int kWalHeaderBytes = 32;

void countFrameHeader(const unsigned char* b) {
    const std::uint32_t page = (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) |
                               (std::uint32_t{b[2]} << 8) | std::uint32_t{b[3]};
    std::lock_guard lock(framesByPageMutex);
    ++framesByPage[page];
}

// SQLite writes a frame as its header and then its page; the queue's WAL-buffering VFS
// above this one hands down many whole frames in one write, maybe after the WAL's own
// header or a page rewritten in place. Both count the same.
void countWalWrite(const unsigned char* b, int n) {
    const int frameBytes = kWalFrameHeaderBytes + countedPageSize;
    int lead = n % frameBytes;
    if (lead == kWalFrameHeaderBytes) {
        countFrameHeader(b);
    } else if (lead == countedPageSize) {
        ++walFrames;
    } else if (lead != kWalHeaderBytes && lead != 0) {
        return;  // not frames (SQLite writes nothing else to a WAL)
    }
    for (int at = lead; at < n; at += frameBytes) {
        countFrameHeader(b + at);
        ++walFrames;
    }
}

int fileWrite(sqlite3_file* f, const void* p, int n, sqlite3_int64 off) {
    if (kindOf(f) == Kind::wal) countWalWrite(static_cast<const unsigned char*>(p), n);
    if (kindOf(f) == Kind::database && n == countedPageSize) ++databasePages;
    return innerOf(f)->pMethods->xWrite(innerOf(f), p, n, off);
}
int fileTruncate(sqlite3_file* f, sqlite3_int64 size) {
    return innerOf(f)->pMethods->xTruncate(innerOf(f), size);
}
int fileSync(sqlite3_file* f, int flags) {
    if (kindOf(f) == Kind::wal) ++walSyncs;
    if (kindOf(f) == Kind::database) ++databaseSyncs;
    return innerOf(f)->pMethods->xSync(innerOf(f), flags);
}
int fileSize(sqlite3_file* f, sqlite3_int64* size) {
    return innerOf(f)->pMethods->xFileSize(innerOf(f), size);
}
int fileLock(sqlite3_file* f, int level) {
    return innerOf(f)->pMethods->xLock(innerOf(f), level);
}
int fileUnlock(sqlite3_file* f, int level) {
    return innerOf(f)->pMethods->xUnlock(innerOf(f), level);
}
int fileCheckReserved(sqlite3_file* f, int* out) {
    return innerOf(f)->pMethods->xCheckReservedLock(innerOf(f), out);
}
int fileControl(sqlite3_file* f, int op, void* arg) {
    return innerOf(f)->pMethods->xFileControl(innerOf(f), op, arg);
}
int fileSectorSize(sqlite3_file* f) {
    return innerOf(f)->pMethods->xSectorSize(innerOf(f));
}
int fileDevice(sqlite3_file* f) {
    return innerOf(f)->pMethods->xDeviceCharacteristics(innerOf(f));
}
int fileShmMap(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
    return innerOf(f)->pMethods->xShmMap(innerOf(f), region, size, extend, out);
}
int fileShmLock(sqlite3_file* f, int offset, int n, int flags) {
    return innerOf(f)->pMethods->xShmLock(innerOf(f), offset, n, flags);
}
void fileShmBarrier(sqlite3_file* f) {
    innerOf(f)->pMethods->xShmBarrier(innerOf(f));
}
int fileShmUnmap(sqlite3_file* f, int deleteFlag) {
    return innerOf(f)->pMethods->xShmUnmap(innerOf(f), deleteFlag);
}
int fileFetch(sqlite3_file* f, sqlite3_int64 off, int n, void** out) {
    return innerOf(f)->pMethods->xFetch(innerOf(f), off, n, out);
}
int fileUnfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
    return innerOf(f)->pMethods->xUnfetch(innerOf(f), off, p);
}

const sqlite3_io_methods countedMethods = {
    3,           fileClose,  fileRead,    fileWrite,         fileTruncate, fileSync,
    fileSize,    fileLock,   fileUnlock,  fileCheckReserved, fileControl,  fileSectorSize,
    fileDevice,  fileShmMap, fileShmLock, fileShmBarrier,    fileShmUnmap, fileFetch,
    fileUnfetch,
};

int vfsOpen(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* outFlags) {
    auto* counted = reinterpret_cast<CountedFile*>(f);
    counted->kind = (flags & SQLITE_OPEN_MAIN_DB) ? Kind::database
                    : (flags & SQLITE_OPEN_WAL)   ? Kind::wal
                                                  : Kind::other;
    const int rc = real->xOpen(real, name, counted->inner(), flags, outFlags);
    // SQLite calls xClose only on a file whose pMethods is set.
    counted->base.pMethods = counted->inner()->pMethods ? &countedMethods : nullptr;
    return rc;
}
int vfsDelete(sqlite3_vfs*, const char* name, int syncDir) {
    return real->xDelete(real, name, syncDir);
}
int vfsAccess(sqlite3_vfs*, const char* name, int flags, int* out) {
    return real->xAccess(real, name, flags, out);
}
int vfsFullPathname(sqlite3_vfs*, const char* name, int n, char* out) {
    return real->xFullPathname(real, name, n, out);
}
void* vfsDlOpen(sqlite3_vfs*, const char* name) {
    return real->xDlOpen(real, name);
}
void vfsDlError(sqlite3_vfs*, int n, char* out) {
    real->xDlError(real, n, out);
}
void (*vfsDlSym(sqlite3_vfs*, void* lib, const char* symbol))(void) {
    return real->xDlSym(real, lib, symbol);
}
void vfsDlClose(sqlite3_vfs*, void* lib) {
    real->xDlClose(real, lib);
}
int vfsRandomness(sqlite3_vfs*, int n, char* out) {
    return real->xRandomness(real, n, out);
}
int vfsSleep(sqlite3_vfs*, int us) {
    return real->xSleep(real, us);
}
int vfsCurrentTime(sqlite3_vfs*, double* out) {
    return real->xCurrentTime(real, out);
}
int vfsGetLastError(sqlite3_vfs*, int n, char* out) {
    return real->xGetLastError(real, n, out);
}
int vfsCurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) {
    return real->xCurrentTimeInt64(real, out);
}

sqlite3_vfs countingVfs{};

}  // namespace

SqliteIoCounter::SqliteIoCounter(int pageSize) : previousDefault_(sqlite3_vfs_find(nullptr)) {
    if (real) throw std::logic_error("SqliteIoCounter: one at a time");
    real = previousDefault_;
    countedPageSize = pageSize;
    walFrames = databasePages = walSyncs = databaseSyncs = 0;
    {
        std::lock_guard lock(framesByPageMutex);
        framesByPage.clear();
    }
    countingVfs = sqlite3_vfs{};
    countingVfs.iVersion = 2;
    countingVfs.szOsFile = static_cast<int>(sizeof(CountedFile)) + real->szOsFile;
    countingVfs.mxPathname = real->mxPathname;
    countingVfs.zName = "flowgate-io-counter";
    countingVfs.xOpen = vfsOpen;
    countingVfs.xDelete = vfsDelete;
    countingVfs.xAccess = vfsAccess;
    countingVfs.xFullPathname = vfsFullPathname;
    countingVfs.xDlOpen = vfsDlOpen;
    countingVfs.xDlError = vfsDlError;
    countingVfs.xDlSym = vfsDlSym;
    countingVfs.xDlClose = vfsDlClose;
    countingVfs.xRandomness = vfsRandomness;
    countingVfs.xSleep = vfsSleep;
    countingVfs.xCurrentTime = vfsCurrentTime;
    countingVfs.xGetLastError = vfsGetLastError;
    countingVfs.xCurrentTimeInt64 = vfsCurrentTimeInt64;
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
    return {walFrames.load(), databasePages.load(), walSyncs.load(), databaseSyncs.load()};
}

std::map<std::uint32_t, std::int64_t> SqliteIoCounter::walFramesByPage() const {
    std::lock_guard lock(framesByPageMutex);
    return framesByPage;
}

}  // namespace flowgate::test
