#include "queue/lock_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace flowgate::queue {

LockFile::LockFile(const std::filesystem::path& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) {
        throw std::runtime_error("cannot open queue lock file " + path.string() + ": " +
                                 std::strerror(errno));
    }
    int rc;
    do {
        rc = ::flock(fd_, LOCK_EX | LOCK_NB);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
        const int err = errno;
        const std::string holder = readHolder();
        ::close(fd_);
        if (err == EWOULDBLOCK) {
            throw std::runtime_error("queue directory " + path.parent_path().string() +
                                     " is in use: " + path.string() +
                                     " is locked by another queue" +
                                     (holder.empty() ? "" : " (pid " + holder + ")"));
        }
        throw std::runtime_error("cannot lock " + path.string() + ": " +
                                 std::strerror(err));
    }
    // The holder's pid, for the message above; only a help for whoever reads it.
    const std::string pid = std::to_string(::getpid());
    if (::ftruncate(fd_, 0) == 0) {
        [[maybe_unused]] auto written = ::pwrite(fd_, pid.data(), pid.size(), 0);
    }
}

LockFile::~LockFile() { ::close(fd_); }

std::string LockFile::readHolder() const {
    char buf[32];
    const auto n = ::pread(fd_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace flowgate::queue
