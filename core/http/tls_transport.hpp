// TLS on a connection's non-blocking socket, with OpenSSL reading and writing the socket
// itself (SSL_set_fd). The handshake happens inside the first read: until it is done a
// read moves no bytes and asks for readable or writable, like a slow client, so the
// edge's header deadline covers it. See http/transport.hpp.
#pragma once

#include <memory>

#include "http/tls_context.hpp"
#include "http/transport.hpp"

namespace flowgate::http {

// A server session for `fd` (not owned) with `context`'s current certificate; nullptr if
// OpenSSL cannot make one.
std::unique_ptr<Transport> tlsTransport(int fd, const TlsContext& context);

}  // namespace flowgate::http
