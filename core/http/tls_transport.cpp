#include "http/tls_transport.hpp"

#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <Poco/Logger.h>

namespace flowgate::http {

namespace {

class TlsTransport final : public Transport {
public:
    TlsTransport(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}
    ~TlsTransport() override { SSL_free(ssl_); }

    IoResult read(char* buffer, std::size_t size) override {
        ERR_clear_error();  // SSL_get_error reads this thread's queue
        const int n = SSL_read(ssl_, buffer, static_cast<int>(size));
        if (n > 0) return {IoResult::Status::done, static_cast<std::size_t>(n)};
        return failure(n, "read");
    }

    IoResult write(const char* data, std::size_t size) override {
        ERR_clear_error();
        const int n = SSL_write(ssl_, data, static_cast<int>(size));
        if (n > 0) return {IoResult::Status::done, static_cast<std::size_t>(n)};
        return failure(n, "write");
    }

    void shutdownWrite() override {
        // close_notify, best effort: the peer knows the answer is whole either way (it has
        // a Content-Length).
        if (SSL_is_init_finished(ssl_)) {
            ERR_clear_error();
            SSL_shutdown(ssl_);
            ERR_clear_error();
        }
        ::shutdown(fd_, SHUT_WR);
    }

private:
    IoResult failure(int result, const char* what) {
        switch (SSL_get_error(ssl_, result)) {
            case SSL_ERROR_WANT_READ:
                return {IoResult::Status::wantRead, 0};
            case SSL_ERROR_WANT_WRITE:
                return {IoResult::Status::wantWrite, 0};
            case SSL_ERROR_ZERO_RETURN:
                return {IoResult::Status::closed, 0};  // close_notify
            default:
                break;
        }
        // A failed handshake (plain HTTP, an old protocol version, a client that rejects
        // the certificate) or a broken connection: the client's problem, so debug only.
        static Poco::Logger& log = Poco::Logger::get("flowgate.http");
        if (log.debug()) {
            const std::string errors = takeOpenSslErrors();
            log.debug("TLS %s failed%s%s", std::string(what),
                      std::string(SSL_is_init_finished(ssl_) ? "" : " in the handshake"),
                      errors.empty() ? std::string() : ": " + errors);
        }
        ERR_clear_error();
        return {IoResult::Status::closed, 0};
    }

    const int fd_;
    SSL* const ssl_;
};

}  // namespace

std::unique_ptr<Transport> tlsTransport(int fd, const TlsContext& context) {
    SSL* ssl = context.session(fd);
    if (!ssl) return nullptr;
    return std::make_unique<TlsTransport>(fd, ssl);
}

}  // namespace flowgate::http
