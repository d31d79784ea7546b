// The pass-through half of a SQLite VFS shim: methods that hand a call unchanged to the
// VFS (and file) below, so a shim writes only the methods it changes. Used by the queue's
// WAL-buffering VFS and by the tests' I/O counter.
#pragma once

#include <sqlite3.h>

namespace flowgate::queue::sqlite {

// File methods forwarding to the file `Inner` returns for a shim's file object.
template <sqlite3_file* (*Inner)(sqlite3_file*)>
struct ForwardFile {
    static int close(sqlite3_file* f) { return Inner(f)->pMethods->xClose(Inner(f)); }
    static int read(sqlite3_file* f, void* p, int n, sqlite3_int64 off) {
        return Inner(f)->pMethods->xRead(Inner(f), p, n, off);
    }
    static int write(sqlite3_file* f, const void* p, int n, sqlite3_int64 off) {
        return Inner(f)->pMethods->xWrite(Inner(f), p, n, off);
    }
    static int truncate(sqlite3_file* f, sqlite3_int64 size) {
        return Inner(f)->pMethods->xTruncate(Inner(f), size);
    }
    static int sync(sqlite3_file* f, int flags) { return Inner(f)->pMethods->xSync(Inner(f), flags); }
    static int size(sqlite3_file* f, sqlite3_int64* out) {
        return Inner(f)->pMethods->xFileSize(Inner(f), out);
    }
    static int lock(sqlite3_file* f, int level) { return Inner(f)->pMethods->xLock(Inner(f), level); }
    static int unlock(sqlite3_file* f, int level) {
        return Inner(f)->pMethods->xUnlock(Inner(f), level);
    }
    static int checkReserved(sqlite3_file* f, int* out) {
        return Inner(f)->pMethods->xCheckReservedLock(Inner(f), out);
    }
    static int control(sqlite3_file* f, int op, void* arg) {
        return Inner(f)->pMethods->xFileControl(Inner(f), op, arg);
    }
    static int sectorSize(sqlite3_file* f) { return Inner(f)->pMethods->xSectorSize(Inner(f)); }
    static int device(sqlite3_file* f) {
        return Inner(f)->pMethods->xDeviceCharacteristics(Inner(f));
    }
    static int shmMap(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
        return Inner(f)->pMethods->xShmMap(Inner(f), region, size, extend, out);
    }
    static int shmLock(sqlite3_file* f, int offset, int n, int flags) {
        return Inner(f)->pMethods->xShmLock(Inner(f), offset, n, flags);
    }
    static void shmBarrier(sqlite3_file* f) { Inner(f)->pMethods->xShmBarrier(Inner(f)); }
    static int shmUnmap(sqlite3_file* f, int deleteFlag) {
        return Inner(f)->pMethods->xShmUnmap(Inner(f), deleteFlag);
    }
    static int fetch(sqlite3_file* f, sqlite3_int64 off, int n, void** out) {
        return Inner(f)->pMethods->xFetch(Inner(f), off, n, out);
    }
    static int unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
        return Inner(f)->pMethods->xUnfetch(Inner(f), off, p);
    }
};

// A version-2 VFS named `name` whose files are opened by `open` (sizeof its file object
// given) and whose every other method is `Wrapped()`'s.
template <sqlite3_vfs* (*Wrapped)()>
sqlite3_vfs forwardingVfs(const char* name, int fileObjectSize,
                          int (*open)(sqlite3_vfs*, sqlite3_filename, sqlite3_file*, int, int*)) {
    sqlite3_vfs vfs{};
    vfs.iVersion = 2;
    vfs.szOsFile = fileObjectSize;
    vfs.mxPathname = Wrapped()->mxPathname;
    vfs.zName = name;
    vfs.xOpen = open;
    vfs.xDelete = [](sqlite3_vfs*, const char* file, int syncDir) {
        return Wrapped()->xDelete(Wrapped(), file, syncDir);
    };
    vfs.xAccess = [](sqlite3_vfs*, const char* file, int flags, int* out) {
        return Wrapped()->xAccess(Wrapped(), file, flags, out);
    };
    vfs.xFullPathname = [](sqlite3_vfs*, const char* file, int n, char* out) {
        return Wrapped()->xFullPathname(Wrapped(), file, n, out);
    };
    vfs.xDlOpen = [](sqlite3_vfs*, const char* lib) { return Wrapped()->xDlOpen(Wrapped(), lib); };
    vfs.xDlError = [](sqlite3_vfs*, int n, char* out) { Wrapped()->xDlError(Wrapped(), n, out); };
    vfs.xDlSym = [](sqlite3_vfs*, void* lib, const char* symbol) {
        return Wrapped()->xDlSym(Wrapped(), lib, symbol);
    };
    vfs.xDlClose = [](sqlite3_vfs*, void* lib) { Wrapped()->xDlClose(Wrapped(), lib); };
    vfs.xRandomness = [](sqlite3_vfs*, int n, char* out) {
        return Wrapped()->xRandomness(Wrapped(), n, out);
    };
    vfs.xSleep = [](sqlite3_vfs*, int us) { return Wrapped()->xSleep(Wrapped(), us); };
    vfs.xCurrentTime = [](sqlite3_vfs*, double* out) {
        return Wrapped()->xCurrentTime(Wrapped(), out);
    };
    vfs.xGetLastError = [](sqlite3_vfs*, int n, char* out) {
        return Wrapped()->xGetLastError(Wrapped(), n, out);
    };
    vfs.xCurrentTimeInt64 = [](sqlite3_vfs*, sqlite3_int64* out) {
        return Wrapped()->xCurrentTimeInt64(Wrapped(), out);
    };
    return vfs;
}

}  // namespace flowgate::queue::sqlite
