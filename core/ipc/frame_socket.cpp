#include "ipc/frame_socket.hpp"

#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

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

// False on a clean end of stream before the first byte.
bool readAll(int fd, std::uint8_t* data, std::size_t size) {
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = ::recv(fd, data + done, size - done, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == ECONNRESET) return false;  // the peer died: the same as closing
            throw LinkError(errorText("local socket read"));
        }
        if (n == 0) {
            if (done == 0) return false;
            throw LinkError("local socket closed in the middle of a frame");
        }
        done += static_cast<std::size_t>(n);
    }
    return true;
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
    if (!readAll(fd_, header, sizeof header)) return std::nullopt;
    const std::uint32_t size = (std::uint32_t{header[0]} << 24) | (std::uint32_t{header[1]} << 16) |
                               (std::uint32_t{header[2]} << 8) | std::uint32_t{header[3]};
    if (size > kMaxFrameBytes) throw LinkError("local socket frame too large");
    std::string body(size, '\0');
    if (size > 0 && !readAll(fd_, reinterpret_cast<std::uint8_t*>(body.data()), size))
        throw LinkError("local socket closed in the middle of a frame");
    return body;
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
