// A SQLite VFS that writes each WAL commit with one pwrite instead of two per frame.
//
// SQLite appends a frame to the WAL as two writes (its 24-byte header, then the page), so a
// commit of 35 pages costs 70 pwrite64 calls on the queue's serial writer thread. This VFS
// wraps the process's default VFS (whatever it is when a file is opened) and, for -wal files
// only, collects contiguous writes in a buffer that goes to the file in one write. Every
// other file, and every other method, passes straight through. See sqlite_wal_vfs.cpp for
// when the buffer is written and why durability is exactly what it was.
#pragma once

namespace flowgate::queue::sqlite {

// The VFS's name for sqlite3_open_v2, registered (not as the default) on first call.
// Thread-safe. Every connection to one file should use it, though mixing is harmless: the
// locks live in the wrapped VFS, and other connections see a WAL frame only once SQLite
// has published it, which happens after the buffer is written.
const char* walBufferingVfs();

// While one of these lives on a thread, a WAL sync that SQLite asks for on that thread (a
// commit's, under synchronous=FULL) writes the buffered frames to the file but leaves out
// the fsync. Whoever made it must get the WAL onto the disk itself (WalSyncer) before
// anyone learns of the commit. Other threads' syncs (checkpoints) are untouched.
//
// Safe for the file: that is exactly what synchronous=NORMAL does at every commit. A
// crash before the later fsync loses the commit and every one after it whole (a WAL's
// frames are chained by checksum, recovery stops at the first one missing), never part
// of one; and a checkpoint syncs the WAL before it copies any frame into the database.
class DeferredWalSync {
public:
    DeferredWalSync();
    ~DeferredWalSync();
    DeferredWalSync(const DeferredWalSync&) = delete;
    DeferredWalSync& operator=(const DeferredWalSync&) = delete;

    // Whether a WAL sync was left out since this object was made.
    bool skipped() const;
};

}  // namespace flowgate::queue::sqlite
