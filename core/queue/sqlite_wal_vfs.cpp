// The WAL-buffering VFS (see the header).
//
// When the buffer goes to the file: before the file is synced, read, truncated, sized,
// closed or handed a file-control, before a write that does not touch or extend the
// buffered range (a WAL restart writes the header at offset 0), when it would pass
// kBufferBytes, and as soon as a commit frame is complete.
//
// Why this is safe, with durability exactly as before:
// - Other connections (and other processes) learn of frames only from the wal-index
//   header, which SQLite updates after it has written a commit's frames (and, with
//   synchronous=FULL as the queue uses, after xSync on the WAL). The buffer is written when
//   the commit frame is complete, before that sync and before that update, so nobody is
//   ever pointed at a frame that is not in the file. This holds with synchronous=NORMAL
//   too, which has no sync at commit.
// - Frames of a transaction still open (a cache spill) are read back only by the
//   connection that wrote them, through this same file object, which writes its buffer
//   before any read. Another connection's recovery or checkpoint of the WAL needs locks
//   the writer holds until its transaction ends, by when the buffer is written.
// - A commit returns only after xSync on the WAL, which writes the buffer first: what
//   sat in memory is in the file before the fsync, as it would have been without us.
//   Under a DeferredWalSync the xSync writes the buffer and leaves the fsync to its owner
//   (the queue's WalSyncer), as synchronous=NORMAL would leave it out.
// - A failed write drops the buffer and returns the error from the call that wrote it;
//   SQLite then fails the transaction, as if its own write had failed (frames past the
//   last commit are never read).
#include "queue/sqlite_wal_vfs.hpp"

#include "queue/sqlite_vfs_forwarding.hpp"

#include <sqlite3.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace flowgate::queue::sqlite {

namespace {

// The most the unix VFS writes in one call: its seekAndWriteFd masks the size with 0x1ffff,
// so a longer write loops (and one of exactly 128 KiB writes nothing and fails as
// SQLITE_FULL). 31 frames of 4 KiB pages; a larger commit takes one write per 31 frames.
constexpr sqlite3_int64 kBufferBytes = 0x1ffff;
// A WAL frame header: page number, then the database size in pages after a commit (zero in
// every frame but a commit's last), salts and checksums.
constexpr int kFrameHeaderBytes = 24;

// The wrapped VFS: the default one when a file is opened or a call is made. Never this
// one, which is not registered as the default.
sqlite3_vfs* wrapped() { return sqlite3_vfs_find(nullptr); }

// Our file object. The wrapped VFS's own follows on the heap, sized by whichever VFS was
// the default at open (tests install a counting VFS as the default after we registered).
struct WalFile {
    sqlite3_file base;
    sqlite3_file* inner;
    bool isWal;
    // Buffered bytes [offset, offset + size) of the file, not yet written.
    sqlite3_int64 offset;
    sqlite3_int64 size;
    unsigned char* buffer;  // kBufferBytes, allocated on the first buffered write
    // The last write was a commit frame's header: its page is the commit's last write.
    bool commitPageNext;
};

// The calling thread's DeferredWalSync, if one lives.
struct Deferral {
    bool active = false;
    bool skipped = false;
};
thread_local Deferral deferral;

WalFile* self(sqlite3_file* f) { return reinterpret_cast<WalFile*>(f); }
sqlite3_file* innerOf(sqlite3_file* f) { return self(f)->inner; }
using Forward = ForwardFile<innerOf>;

int flush(WalFile* file) {
    if (file->size == 0) return SQLITE_OK;
    const int rc = file->inner->pMethods->xWrite(file->inner, file->buffer,
                                                 static_cast<int>(file->size), file->offset);
    file->size = 0;
    return rc;
}

// Writes the buffer, then runs `call`: for every method that must see the file as SQLite
// believes it is.
template <typename Call>
int flushed(sqlite3_file* f, Call call) {
    if (self(f)->isWal) {
        if (const int rc = flush(self(f)); rc != SQLITE_OK) return rc;
    }
    return call();
}

bool isCommitHeader(const void* data, int amount) {
    if (amount != kFrameHeaderBytes) return false;
    const auto* b = static_cast<const unsigned char*>(data);
    return (b[4] | b[5] | b[6] | b[7]) != 0;
}

int fileWrite(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
    WalFile* file = self(f);
    if (!file->isWal) return Forward::write(f, data, amount, offset);
    // Within or right after the buffered range (SQLite rewrites a frame of the open
    // transaction in place when a page changes again): copy in. Otherwise write the
    // buffer and start a new one here.
    const bool joins = file->size > 0 && offset >= file->offset &&
                       offset <= file->offset + file->size &&
                       offset + amount <= file->offset + kBufferBytes;
    if (!joins) {
        if (const int rc = flush(file); rc != SQLITE_OK) return rc;
        if (amount > kBufferBytes) {
            return Forward::write(f, data, amount, offset);
        }
        if (file->buffer == nullptr) {
            file->buffer = static_cast<unsigned char*>(sqlite3_malloc64(kBufferBytes));
            if (file->buffer == nullptr) return SQLITE_IOERR_NOMEM;
        }
        file->offset = offset;
    }
    std::memcpy(file->buffer + (offset - file->offset), data, static_cast<std::size_t>(amount));
    if (offset + amount - file->offset > file->size) file->size = offset + amount - file->offset;
    // A complete commit goes to the file now: whatever the sync mode, it must be there
    // before SQLite publishes it in the wal-index (see the top of this file).
    const bool commitDone = file->commitPageNext;
    file->commitPageNext = isCommitHeader(data, amount);
    return commitDone ? flush(file) : SQLITE_OK;
}

int fileClose(sqlite3_file* f) {
    WalFile* file = self(f);
    const int flushRc = file->isWal ? flush(file) : SQLITE_OK;
    const int rc = file->inner->pMethods->xClose(file->inner);
    sqlite3_free(file->buffer);
    sqlite3_free(file->inner);
    file->buffer = nullptr;
    file->inner = nullptr;
    return flushRc != SQLITE_OK ? flushRc : rc;
}
int fileRead(sqlite3_file* f, void* data, int amount, sqlite3_int64 offset) {
    return flushed(f, [&] { return Forward::read(f, data, amount, offset); });
}
int fileTruncate(sqlite3_file* f, sqlite3_int64 size) {
    return flushed(f, [&] { return Forward::truncate(f, size); });
}
int fileSync(sqlite3_file* f, int flags) {
    if (self(f)->isWal && deferral.active) {
        deferral.skipped = true;
        return flush(self(f));  // in the file (for every reader), not yet on the disk
    }
    return flushed(f, [&] { return Forward::sync(f, flags); });
}
int fileSize(sqlite3_file* f, sqlite3_int64* size) {
    return flushed(f, [&] { return Forward::size(f, size); });
}
int fileControl(sqlite3_file* f, int op, void* arg) {
    return flushed(f, [&] { return Forward::control(f, op, arg); });
}
int fileFetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
    return flushed(f, [&] { return Forward::fetch(f, offset, amount, out); });
}

// Version 3, so SQLite uses shared memory and memory-mapping through us exactly as it
// would through the wrapped VFS. Every method is forwarded, so the wrapped file's own
// version decides nothing: the unix VFS implements all of them.
const sqlite3_io_methods walFileMethods = {
    3,
    fileClose,
    fileRead,
    fileWrite,
    fileTruncate,
    fileSync,
    fileSize,
    Forward::lock,
    Forward::unlock,
    Forward::checkReserved,
    fileControl,
    Forward::sectorSize,
    Forward::device,
    Forward::shmMap,
    Forward::shmLock,
    Forward::shmBarrier,
    Forward::shmUnmap,
    fileFetch,
    Forward::unfetch,
};

int vfsOpen(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* outFlags) {
    WalFile* file = self(f);
    *file = WalFile{};
    sqlite3_vfs* real = wrapped();
    file->inner = static_cast<sqlite3_file*>(sqlite3_malloc(real->szOsFile));
    if (file->inner == nullptr) return SQLITE_NOMEM;
    std::memset(file->inner, 0, static_cast<std::size_t>(real->szOsFile));
    file->isWal = (flags & SQLITE_OPEN_WAL) != 0;
    const int rc = real->xOpen(real, name, file->inner, flags, outFlags);
    if (file->inner->pMethods == nullptr) {
        // SQLite calls xClose only on a file whose pMethods is set: nothing to close later.
        sqlite3_free(file->inner);
        file->inner = nullptr;
        return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
    }
    file->base.pMethods = &walFileMethods;
    return rc;
}

sqlite3_vfs walVfs{};

}  // namespace

DeferredWalSync::DeferredWalSync() { deferral = Deferral{true, false}; }
DeferredWalSync::~DeferredWalSync() { deferral = Deferral{}; }
bool DeferredWalSync::skipped() const { return deferral.skipped; }

const char* walBufferingVfs() {
    static std::once_flag once;
    std::call_once(once, [] {
        walVfs = forwardingVfs<wrapped>("flowgate-wal-buffer", sizeof(WalFile), vfsOpen);
        // Registration fails only without memory; sqlite3_open_v2 then reports the VFS as
        // unknown, which the caller sees as a failed open.
        sqlite3_vfs_register(&walVfs, 0);
    });
    return walVfs.zName;
}

}  // namespace flowgate::queue::sqlite
