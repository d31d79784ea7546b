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

}  // namespace flowgate::queue::sqlite
