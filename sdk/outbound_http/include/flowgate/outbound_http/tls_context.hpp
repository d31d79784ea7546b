// The OpenSSL client contexts outbound calls use.
#pragma once

#include <string>

#include <Poco/Net/Context.h>

namespace flowgate::net {

// A TLS 1.2+ client context: with `verify`, the server's chain must lead to the system
// store (/etc/ssl/certs) or to a certificate in `caFile`, and its name must match the
// host (VERIFY_STRICT: RELAXED would skip the name check for hosts that resolve to
// loopback); without, nothing is checked. Contexts are made once per (verify, caFile)
// and shared, since an SSL_CTX is safe to use from many connections at once; a changed
// caFile is read again only by a new process. Throws OutboundError(tls) if caFile
// cannot be loaded.
Poco::Net::Context::Ptr clientContext(bool verify, const std::string& caFile);

}  // namespace flowgate::net
