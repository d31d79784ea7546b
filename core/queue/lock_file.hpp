// The queue directory's lock: one SqliteQueue per directory, in this process or any other.
#pragma once

#include <filesystem>
#include <string>

namespace flowgate::queue {

// An exclusive flock on `queue.lock`, held for the life of the queue. flock, not fcntl
// locks: fcntl locks belong to the process, so a second SqliteQueue in the same process
// would silently share them; flock locks belong to the open file, so it is refused too.
// The kernel drops the lock when the process dies, so a crash never leaves it stale.
class LockFile {
public:
    // Throws std::runtime_error if the file cannot be opened, or if another queue holds
    // the lock (naming the holder's pid when it wrote one).
    explicit LockFile(const std::filesystem::path& path);
    ~LockFile();
    LockFile(const LockFile&) = delete;
    LockFile& operator=(const LockFile&) = delete;

private:
    std::string readHolder() const;

    int fd_ = -1;
};

}  // namespace flowgate::queue
