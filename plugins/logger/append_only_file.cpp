#include "append_only_file.hpp"

#include <fcntl.h>  // sync_file_range (glibc, with _GNU_SOURCE: on in g++)
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace flowgate::plugins::logger {

namespace {

std::string systemError(const std::string& what, const std::string& path, int error) {
    return what + " " + path + ": " + std::strerror(error);
}

}  // namespace

AppendOnlyFile::AppendOnlyFile(std::string path) : path_(std::move(path)) {
    // Not world-readable: the lines carry message bodies.
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd_ < 0) throw std::runtime_error(systemError("cannot open log file", path_, errno));
}

AppendOnlyFile::~AppendOnlyFile() { ::close(fd_); }

void AppendOnlyFile::append(std::string_view text) const {
    ssize_t written;
    do {
        written = ::write(fd_, text.data(), text.size());
    } while (written < 0 && errno == EINTR);  // nothing was written: trying again is safe
    if (written < 0) throw std::runtime_error(systemError("cannot write to", path_, errno));
    // Finishing a short write with a second write could land in the middle of another
    // writer's line; failing the attempt keeps every other line intact.
    if (static_cast<std::size_t>(written) != text.size())
        throw std::runtime_error("short write to " + path_ + " (" + std::to_string(written) +
                                 " of " + std::to_string(text.size()) + " bytes)");
    const std::uint64_t total = appended_.fetch_add(text.size()) + text.size();
    if (total / kWritebackEvery != (total - text.size()) / kWritebackEvery) startWriteback();
}

// Left to the kernel, a busy log file's lines reach the disk all at once: its flusher
// writes the pages that have been dirty for 30 s (vm.dirty_expire_centisecs), which at
// 25,000 lines a second is about 550 MB in half a second, and every fsync on the same
// disk meanwhile waits behind it. The queue's WAL flushes then took 36-134 ms instead of
// 0.3-0.5, and each 202 with them (bench/run, whole flow: p99 36-99 ms in 8 of 30 runs).
// So, like PostgreSQL's *_flush_after settings, the file starts its own writeback every
// MiB: the same bytes reach the disk, in small pieces as they come (none of 11 runs then).
// SYNC_FILE_RANGE_WRITE queues the pages not already being written and does not wait for
// them to land (at most for room in the disk's request queue). Its errors are
// not the step's: a page that cannot be written fails its writeback as it would have
// anyway, and a pipe or a character device (ESPIPE, EINVAL) has no pages to write.
void AppendOnlyFile::startWriteback() const {
    ::sync_file_range(fd_, 0, 0, SYNC_FILE_RANGE_WRITE);
}

}  // namespace flowgate::plugins::logger
