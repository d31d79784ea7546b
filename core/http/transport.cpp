#include "http/transport.hpp"

#include <sys/socket.h>

#include <cerrno>

namespace flowgate::http {

namespace {

class PlainTransport final : public Transport {
public:
    explicit PlainTransport(int fd) : fd_(fd) {}

    IoResult read(char* buffer, std::size_t size) override {
        for (;;) {
            const ssize_t n = ::recv(fd_, buffer, size, 0);
            if (n > 0) return {IoResult::Status::done, static_cast<std::size_t>(n)};
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                return {IoResult::Status::wantRead, 0};
            return {IoResult::Status::closed, 0};  // EOF or a reset
        }
    }

    IoResult write(const char* data, std::size_t size) override {
        for (;;) {
            const ssize_t n = ::send(fd_, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0) return {IoResult::Status::done, static_cast<std::size_t>(n)};
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                return {IoResult::Status::wantWrite, 0};
            return {IoResult::Status::closed, 0};
        }
    }

    void shutdownWrite() override { ::shutdown(fd_, SHUT_WR); }

private:
    const int fd_;
};

}  // namespace

std::unique_ptr<Transport> plainTransport(int fd) {
    return std::make_unique<PlainTransport>(fd);
}

}  // namespace flowgate::http
