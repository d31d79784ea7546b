// HTTP over a loopback socket, byte for byte as a test writes it: for requests no
// client library would send (malformed, smuggled, cut off, slow). Plain, or over TLS
// with the test CA (tests/data/tls).
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "support/build_paths.hpp"

struct ssl_ctx_st;
struct ssl_st;

namespace flowgate::test {

struct RawResponse {
    int status = 0;  // 0: the connection closed before a whole response arrived
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;

    nlohmann::json json() const { return nlohmann::json::parse(body); }
};

struct TlsClientOptions {
    // The server must chain to it.
    std::string caFile = std::string(flowgate::test::paths::testDataDir) + "/tls/ca.pem";
    std::string serverName = "localhost";                       // checked against the certificate
    int minVersion = 0;  // TLS1_1_VERSION, ...; 0: OpenSSL's default
    int maxVersion = 0;
};

class RawConnection {
public:
    explicit RawConnection(int port);  // connects to 127.0.0.1:port; throws on failure
    // Connects and completes a TLS handshake that verifies the server; throws (with
    // OpenSSL's reason) if the connection or the handshake fails.
    RawConnection(int port, const TlsClientOptions& tls);
    ~RawConnection();
    RawConnection(RawConnection&& other) noexcept;
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;

    // Sends all of `bytes`; false once the server has closed or reset the connection.
    bool send(std::string_view bytes);
    void shutdownWrite();
    // The next response (Content-Length framed), or status 0 if the connection ends or
    // `timeout` passes first.
    RawResponse readResponse(std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // Whether the server closes the connection within `timeout` without sending a byte.
    bool closesWithoutAnswer(std::chrono::milliseconds timeout = std::chrono::seconds(10));

    // TLS: the server certificate's subject ("/CN=server") and serial (hex).
    std::string peerSubject() const;
    std::string peerSerial() const;

private:
    // Reads more into buffer_; false on EOF, error or timeout.
    bool fill(std::chrono::steady_clock::time_point deadline);
    // Waits up to `timeout` for bytes, then reads some: > 0 bytes, 0 EOF or error, -1 none yet.
    long receive(char* buffer, std::size_t size, std::chrono::milliseconds timeout);

    int fd_ = -1;
    ssl_ctx_st* tlsContext_ = nullptr;
    ssl_st* tls_ = nullptr;
    std::string buffer_;
};

}  // namespace flowgate::test
