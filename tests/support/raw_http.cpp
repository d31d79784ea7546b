#include "support/raw_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <stdexcept>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "http/tls_context.hpp"

namespace flowgate::test {

RawConnection::RawConnection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd_);
        throw std::runtime_error("connect failed");
    }
}

RawConnection::RawConnection(int port, const TlsClientOptions& options) : RawConnection(port) {
    ERR_clear_error();
    tlsContext_ = SSL_CTX_new(TLS_client_method());
    if (!tlsContext_) throw std::runtime_error("SSL_CTX_new failed");
    if (options.minVersion != 0 && options.minVersion < TLS1_2_VERSION) {
        // Debian's OpenSSL refuses old protocols by default; a test of a server that
        // must refuse them needs a client that offers them.
        SSL_CTX_set_security_level(tlsContext_, 0);
        SSL_CTX_set_cipher_list(tlsContext_, "DEFAULT:@SECLEVEL=0");
    }
    if (options.minVersion) SSL_CTX_set_min_proto_version(tlsContext_, options.minVersion);
    if (options.maxVersion) SSL_CTX_set_max_proto_version(tlsContext_, options.maxVersion);
    SSL_CTX_set_verify(tlsContext_, SSL_VERIFY_PEER, nullptr);
    if (SSL_CTX_load_verify_locations(tlsContext_, options.caFile.c_str(), nullptr) != 1)
        throw std::runtime_error("cannot load " + options.caFile + ": " + http::takeOpenSslErrors());
    tls_ = SSL_new(tlsContext_);
    SSL_set_fd(tls_, fd_);
    SSL_set_tlsext_host_name(tls_, options.serverName.c_str());
    SSL_set1_host(tls_, options.serverName.c_str());
    if (SSL_connect(tls_) != 1)
        throw std::runtime_error("TLS handshake failed: " + http::takeOpenSslErrors());
}

RawConnection::~RawConnection() {
    if (tls_) SSL_free(tls_);
    if (tlsContext_) SSL_CTX_free(tlsContext_);
    if (fd_ >= 0) ::close(fd_);
}

RawConnection::RawConnection(RawConnection&& other) noexcept
    : fd_(other.fd_),
      tlsContext_(other.tlsContext_),
      tls_(other.tls_),
      buffer_(std::move(other.buffer_)) {
    other.fd_ = -1;
    other.tlsContext_ = nullptr;
    other.tls_ = nullptr;
}

std::string RawConnection::peerSubject() const {
    X509* cert = tls_ ? SSL_get1_peer_certificate(tls_) : nullptr;
    if (!cert) return "";
    char name[512];
    X509_NAME_oneline(X509_get_subject_name(cert), name, sizeof name);
    X509_free(cert);
    return name;
}

std::string RawConnection::peerSerial() const {
    X509* cert = tls_ ? SSL_get1_peer_certificate(tls_) : nullptr;
    if (!cert) return "";
    BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get_serialNumber(cert), nullptr);
    char* hex = BN_bn2hex(serial);
    std::string text = hex;
    OPENSSL_free(hex);
    BN_free(serial);
    X509_free(cert);
    return text;
}

long RawConnection::receive(char* buffer, std::size_t size, std::chrono::milliseconds timeout) {
    if (!tls_ || SSL_pending(tls_) == 0) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return -1;
    }
    if (tls_) {
        const int n = SSL_read(tls_, buffer, static_cast<int>(size));
        ERR_clear_error();
        return n > 0 ? n : 0;
    }
    const ssize_t n = ::recv(fd_, buffer, size, 0);
    return n > 0 ? n : 0;
}

bool RawConnection::send(std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = tls_ ? SSL_write(tls_, bytes.data(), static_cast<int>(bytes.size()))
                               : ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n <= 0) return false;
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

void RawConnection::shutdownWrite() {
    ::shutdown(fd_, SHUT_WR);
}

bool RawConnection::fill(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    char chunk[16384];
    const long n = receive(chunk, sizeof chunk, left);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
}

RawResponse RawConnection::readResponse(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
        if (!fill(deadline)) return {};
    RawResponse response;
    const std::string head = buffer_.substr(0, end);
    std::size_t lineEnd = head.find("\r\n");
    const std::string statusLine = head.substr(0, lineEnd);
    if (statusLine.size() < 12 || statusLine.compare(0, 5, "HTTP/") != 0) return {};
    const int status = std::stoi(statusLine.substr(9, 3));
    while (lineEnd != std::string::npos) {
        const std::size_t start = lineEnd + 2;
        lineEnd = head.find("\r\n", start);
        const std::string line = head.substr(start, lineEnd - start);
        const std::size_t colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string name = line.substr(0, colon);
        for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        response.headers[name] = value;
    }
    const std::size_t length = response.headers.count("content-length")
                                   ? std::stoul(response.headers["content-length"])
                                   : 0;
    while (buffer_.size() < end + 4 + length)
        if (!fill(deadline)) return {};
    response.body = buffer_.substr(end + 4, length);
    buffer_.erase(0, end + 4 + length);
    response.status = status;
    return response;
}

bool RawConnection::closesWithoutAnswer(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        char chunk[4096];
        const long n = receive(chunk, sizeof chunk, std::chrono::milliseconds(50));
        if (n < 0) continue;
        if (n > 0) {
            buffer_.append(chunk, static_cast<std::size_t>(n));
            return false;
        }
        return true;  // EOF or reset, and nothing sent
    }
    return false;
}

}  // namespace flowgate::test
