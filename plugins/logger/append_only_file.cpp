#include "append_only_file.hpp"

#include <fcntl.h>
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
}

}  // namespace flowgate::plugins::logger
