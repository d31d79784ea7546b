#include "http/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace flowgate::http {

namespace {

std::shared_ptr<SSL_CTX> loadContext(const config::TlsSettings& settings) {
    ERR_clear_error();
    std::shared_ptr<SSL_CTX> context(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
    if (!context) throw TlsError("cannot create a TLS context: " + takeOpenSslErrors());
    SSL_CTX* ctx = context.get();
    const int minimum = settings.minVersion == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION;
    SSL_CTX_set_min_proto_version(ctx, minimum);
    // Renegotiation is a client-driven CPU sink and needs nothing of ours.
    SSL_CTX_set_options(
        ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
    // Partial writes and a moving buffer: the edge's answer buffer may be retried from
    // another position or thread. Released buffers: an idle TLS connection keeps no
    // 34 KiB of record buffers, so idle connections stay cheap.
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                              SSL_MODE_RELEASE_BUFFERS);
    const std::string cert = settings.certFile.string();
    const std::string key = settings.keyFile.string();
    if (SSL_CTX_use_certificate_chain_file(ctx, cert.c_str()) != 1)
        throw TlsError("cannot load the certificate " + cert + ": " + takeOpenSslErrors());
    if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
        // OpenSSL already compares the key with the certificate here.
        const bool mismatch = ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH;
        throw TlsError((mismatch
                            ? "the private key " + key + " does not match the certificate " + cert
                            : "cannot load the private key " + key) +
                       ": " + takeOpenSslErrors());
    }
    if (SSL_CTX_check_private_key(ctx) != 1)
        throw TlsError("the private key " + key + " does not match the certificate " + cert + ": " +
                       takeOpenSslErrors());
    return context;
}

}  // namespace

std::string takeOpenSslErrors() {
    std::string text;
    while (const unsigned long code = ERR_get_error()) {
        char buffer[256];
        ERR_error_string_n(code, buffer, sizeof buffer);
        text += (text.empty() ? "" : "; ") + std::string(buffer);
    }
    return text;
}

TlsContext::TlsContext(config::TlsSettings settings)
    : settings_(std::move(settings)), current_(loadContext(settings_)) {}

TlsContext::~TlsContext() = default;

void TlsContext::reload() {
    auto fresh = loadContext(settings_);  // throws before anything changes
    std::lock_guard lock(mutex_);
    current_.swap(fresh);
}  // the old context goes when its last connection does (SSL_new took a reference)

SSL* TlsContext::session(int fd) const {
    std::shared_ptr<SSL_CTX> context;
    {
        std::lock_guard lock(mutex_);
        context = current_;
    }
    SSL* ssl = SSL_new(context.get());
    if (!ssl) return nullptr;
    if (SSL_set_fd(ssl, fd) != 1) {
        SSL_free(ssl);
        return nullptr;
    }
    SSL_set_accept_state(ssl);
    return ssl;
}

}  // namespace flowgate::http
