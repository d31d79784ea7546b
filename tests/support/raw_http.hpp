// HTTP over a plain loopback socket, byte for byte as a test writes it: for requests no
// client library would send (malformed, smuggled, cut off, slow).
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace flowgate::test {

struct RawResponse {
    int status = 0;  // 0: the connection closed before a whole response arrived
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;

    nlohmann::json json() const { return nlohmann::json::parse(body); }
};

class RawConnection {
public:
    explicit RawConnection(int port);  // connects to 127.0.0.1:port; throws on failure
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

private:
    // Reads more into buffer_; false on EOF, error or timeout.
    bool fill(std::chrono::steady_clock::time_point deadline);

    int fd_ = -1;
    std::string buffer_;
};

}  // namespace flowgate::test
