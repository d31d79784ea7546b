// The bearer token of the admin API: from admin.token (a secret reference), or, when none
// is configured and the admin listener is on a loopback address, generated once into
// <dataDir>/admin-token (mode 0600) where the CLI on this machine reads it.
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

#include "config/engine_config.hpp"

namespace flowgate::admin {

// The admin listener cannot start: a one-line reason without any secret.
class AdminTokenError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// True for 127.0.0.0/8, ::1 and "localhost".
bool isLoopbackHost(const std::string& host);

// The token the admin API requires. Throws AdminTokenError when the reference cannot be
// resolved, resolves to an empty token, or when no token is configured on a non-loopback
// host.
std::string adminToken(const config::EngineConfig& engine);

// Where a generated token lives.
std::filesystem::path tokenFile(const std::filesystem::path& dataDir);

}  // namespace flowgate::admin
