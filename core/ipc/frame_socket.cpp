#include "ipc/frame_socket.hpp"

#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace flowgate::ipc {

namespace {

std::string errorText(const char* what) {
    return std::string(what) + ": " + std::strerror(errno);
}

// Writes the header and the body with one call where the socket takes them at once,
// without copying the body behind the header.
void writeAll(int fd, const std::uint8_t (&header)[4], std::string_view body) {
    iovec parts[2] = {{const_cast<std::uint8_t*>(header), sizeof header},
                      {const_cast<char*>(body.data()), body.size()}};
    iovec* next = parts;
    int left = 2;
    while (left > 0) {
        msghdr message{};
        message.msg_iov = next;
        message.msg_iovlen = static_cast<std::size_t>(left);
        const ssize_t n = ::sendmsg(fd, &message, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw LinkError(errorText("local socket write"));
        }
        auto sent = static_cast<std::size_t>(n);
        while (left > 0 && sent >= next->iov_len) {
            sent -= next->iov_len;
            ++next;
            --left;
        }
        if (left > 0) {
            next->iov_base = static_cast<char*>(next->iov_base) + sent;
            next->iov_len -= sent;
        }
    }
}

// What one recv asks for at most; a larger rest of a frame is read straight into it.
constexpr std::size_t kInboxBytes = 64 * 1024;

// Some bytes (at least one), 0 at the end of the stream, also when the peer died
// (ECONNRESET is the same as closing).
std::size_t receiveSome(int fd, char* data, std::size_t size) {
    for (;;) {
        const ssize_t n = ::recv(fd, data, size, 0);
        if (n >= 0) return static_cast<std::size_t>(n);
        if (errno == EINTR) continue;
        if (errno == ECONNRESET) return 0;
        throw LinkError(errorText("local socket read"));
    }
}

sockaddr_un addressOf(const std::filesystem::path& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string text = path.string();
    if (text.size() >= sizeof address.sun_path)
        throw std::runtime_error("the path of the worker socket is too long for a unix socket (" +
                                 std::to_string(sizeof address.sun_path - 1) +
                                 " bytes at most): " + text);
    std::memcpy(address.sun_path, text.c_str(), text.size() + 1);
    return address;
}

}  // namespace

FrameSocket::~FrameSocket() {
    ::close(fd_);
}

void FrameSocket::send(std::string_view body) {
    if (body.size() > kMaxFrameBytes)
        throw LinkError("a frame of " + std::to_string(body.size()) +
                        " bytes is too large for the local socket");
    const auto size = static_cast<std::uint32_t>(body.size());
    const std::uint8_t header[4] = {
        static_cast<std::uint8_t>(size >> 24), static_cast<std::uint8_t>(size >> 16),
        static_cast<std::uint8_t>(size >> 8), static_cast<std::uint8_t>(size)};
    writeAll(fd_, header, body);
}

std::optional<std::string> FrameSocket::receive() {
    std::uint8_t header[4];
    if (!read(reinterpret_cast<char*>(header), sizeof header)) return std::nullopt;
    const std::uint32_t size = (std::uint32_t{header[0]} << 24) | (std::uint32_t{header[1]} << 16) |
                               (std::uint32_t{header[2]} << 8) | std::uint32_t{header[3]};
    if (size > kMaxFrameBytes) throw LinkError("local socket frame too large");
    std::string body(size, '\0');
    if (size > 0 && !read(body.data(), size))
        throw LinkError("local socket closed in the middle of a frame");
    return body;
}

bool FrameSocket::read(char* out, std::size_t size) {
    if (!inbox_) inbox_ = std::make_unique<char[]>(kInboxBytes);
    std::size_t done = 0;
    while (done < size) {
        if (begin_ == end_) {
            const std::size_t rest = size - done;
            const bool straight = rest >= kInboxBytes;
            const std::size_t n = straight ? receiveSome(fd_, out + done, rest)
                                           : receiveSome(fd_, inbox_.get(), kInboxBytes);
            if (n == 0) {
                if (done == 0) return false;
                throw LinkError("local socket closed in the middle of a frame");
            }
            if (straight) {
                done += n;
                continue;
            }
            begin_ = 0;
            end_ = n;
        }
        const std::size_t n = std::min(end_ - begin_, size - done);
        std::memcpy(out + done, inbox_.get() + begin_, n);
        begin_ += n;
        done += n;
    }
    return true;
}

void FrameSocket::shutdown() {
    ::shutdown(fd_, SHUT_RDWR);
}

pid_t FrameSocket::peerPid() const {
    ucred credentials{};
    socklen_t length = sizeof credentials;
    if (::getsockopt(fd_, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) return -1;
    return credentials.pid;
}

int listenAt(const std::filesystem::path& path) {
    const sockaddr_un address = addressOf(path);
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error(errorText("socket"));
    // Only this user may connect (umask is process-wide, so chmod after bind); the intake
    // accepts only the workers it started in any case.
    const int bound = ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) ||
                      ::chmod(path.c_str(), 0600);
    if (bound != 0 || ::listen(fd, 64) != 0) {
        const std::string error = errorText(("listen on " + path.string()).c_str());
        ::close(fd);
        throw std::runtime_error(error);
    }
    return fd;
}

int connectTo(const std::filesystem::path& path) {
    sockaddr_un address;
    try {
        address = addressOf(path);
    } catch (const std::runtime_error& e) {
        throw LinkError(e.what());
    }
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw LinkError(errorText("socket"));
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
        const std::string error = errorText(("connect to " + path.string()).c_str());
        ::close(fd);
        throw LinkError(error);
    }
    return fd;
}

}  // namespace flowgate::ipc
