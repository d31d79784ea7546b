// How the edge (http/edge_server.hpp) moves a connection's bytes: plain TCP, or TLS over
// it (http/tls_transport.hpp). The edge owns framing, limits and deadlines and calls only
// read, write and shutdownWrite; a transport says which readiness (readable or writable)
// it waits for, which the edge maps to its epoll interest. A TLS handshake thus runs in
// the same loop and under the same deadlines as an HTTP request.
//
// Not thread-safe: one thread at a time uses a connection's transport (the loop, or the
// handler thread that owns the connection).
#pragma once

#include <cstddef>
#include <memory>

namespace flowgate::http {

struct IoResult {
    enum class Status {
        done,       // `bytes` moved (> 0)
        wantRead,   // nothing now; call again when the socket is readable
        wantWrite,  // nothing now; call again when the socket is writable
        closed,     // the peer closed, or the connection failed: close it
    };
    Status status = Status::closed;
    std::size_t bytes = 0;
};

class Transport {
public:
    virtual ~Transport() = default;
    virtual IoResult read(char* buffer, std::size_t size) = 0;
    virtual IoResult write(const char* data, std::size_t size) = 0;
    // Ends our sending side (after an answer with Connection: close); reading goes on.
    virtual void shutdownWrite() = 0;
};

// recv/send on the non-blocking socket `fd` (not owned: the edge closes it).
std::unique_ptr<Transport> plainTransport(int fd);

}  // namespace flowgate::http
