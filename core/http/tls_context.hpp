// The webhook listener's certificate and TLS settings (engine.json http.tls): an OpenSSL
// SSL_CTX built from the PEM files, swapped whole when the files are reloaded (SIGHUP).
// A connection takes the context current at its accept and keeps it (SSL_new holds a
// reference), so a swap never disturbs a connection in progress.
#pragma once

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include "config/engine_config.hpp"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace flowgate::http {

// The certificate, key or settings cannot be used: one line that says which file and why.
class TlsError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class TlsContext {
public:
    // Loads the certificate chain and key and checks that they match. Throws TlsError.
    explicit TlsContext(config::TlsSettings settings);
    ~TlsContext();
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;

    // Loads the files again into a new context and swaps it in for new connections.
    // Throws TlsError and keeps the current context if the new files do not load.
    // Thread-safe with session().
    void reload();

    // A server-side session on the connected, non-blocking socket `fd` (not owned), or
    // nullptr if OpenSSL cannot make one. The caller frees it with SSL_free.
    SSL* session(int fd) const;

private:
    const config::TlsSettings settings_;
    mutable std::mutex mutex_;
    std::shared_ptr<SSL_CTX> current_;
};

// The text of OpenSSL's error queue on this thread ("" if empty), which it clears.
std::string takeOpenSslErrors();

}  // namespace flowgate::http
