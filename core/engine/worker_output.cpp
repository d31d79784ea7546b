#include "engine/worker_output.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <Poco/Logger.h>

namespace flowgate::cli {

namespace {

// A line longer than this is logged in pieces: a plugin that writes without newlines
// must not grow the intake's memory.
constexpr std::size_t kMaxLine = 16 * 1024;

void logLine(int number, int pid, std::string_view line) {
    static Poco::Logger& logger = Poco::Logger::get("flowgate.worker.output");
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    logger.information("worker %d (pid %d): %s", number, pid, std::string(line));
}

}  // namespace

WorkerOutput::WorkerOutput() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
        throw std::runtime_error(std::string("pipe for worker output: ") + std::strerror(errno));
    readFd_ = fds[0];
    writeFd_ = fds[1];
    // Only our end is non-blocking; a child writing faster than we read waits, and the
    // larger pipe makes that rare (best effort: the default is 64 KiB).
    ::fcntl(readFd_, F_SETFL, ::fcntl(readFd_, F_GETFL) | O_NONBLOCK);
    ::fcntl(readFd_, F_SETPIPE_SZ, 1 << 20);
}

WorkerOutput::~WorkerOutput() {
    closeWriteEnd();
    if (readFd_ >= 0) ::close(readFd_);
}

void WorkerOutput::closeWriteEnd() {
    if (writeFd_ >= 0) ::close(writeFd_);
    writeFd_ = -1;
}

void WorkerOutput::drain(int number, int pid, bool final) {
    char buffer[16 * 1024];
    for (;;) {
        const ssize_t n = ::read(readFd_, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // nothing more now, or EOF
        partial_.append(buffer, static_cast<std::size_t>(n));
        std::size_t start = 0;
        for (std::size_t end; (end = partial_.find('\n', start)) != std::string::npos;
             start = end + 1)
            logLine(number, pid, std::string_view(partial_).substr(start, end - start));
        partial_.erase(0, start);
        while (partial_.size() >= kMaxLine) {
            logLine(number, pid, std::string_view(partial_).substr(0, kMaxLine));
            partial_.erase(0, kMaxLine);
        }
    }
    if (final && !partial_.empty()) {
        logLine(number, pid, partial_);
        partial_.clear();
    }
}

}  // namespace flowgate::cli
