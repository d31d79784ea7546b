#include "admin/admin_token.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <Poco/Net/IPAddress.h>
#include <openssl/rand.h>

#include "config/secret_ref.hpp"

namespace flowgate::admin {

namespace {

std::string randomToken() {
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
        throw AdminTokenError("cannot generate an admin token: no randomness");
    static const char* hex = "0123456789abcdef";
    std::string token;
    for (unsigned char b : bytes) {
        token += hex[b >> 4];
        token += hex[b & 15];
    }
    return token;
}

std::string trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
        text.pop_back();
    return text;
}

// Reads the token file, or creates it (0600, exclusive, so two starts cannot race).
std::string generatedToken(const std::filesystem::path& file) {
    for (int tries = 0; tries < 2; ++tries) {
        std::ifstream in(file);
        if (in) {
            std::stringstream text;
            text << in.rdbuf();
            const std::string token = trimmed(text.str());
            // Keeps it private even if someone loosened it.
            ::chmod(file.c_str(), 0600);
            if (!token.empty()) return token;
            std::filesystem::remove(file);
        }
        const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0) {
            if (errno == EEXIST) continue;  // another start wrote it meanwhile: read that
            throw AdminTokenError("cannot write the admin token file " + file.string() + ": " +
                                  std::strerror(errno));
        }
        const std::string token = randomToken();
        const std::string line = token + "\n";
        const bool written =
            ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
        ::fsync(fd);
        ::close(fd);
        if (!written) throw AdminTokenError("cannot write the admin token file " + file.string());
        return token;
    }
    throw AdminTokenError("cannot read the admin token file " + file.string());
}

}  // namespace

bool isLoopbackHost(const std::string& host) {
    if (host == "localhost") return true;
    Poco::Net::IPAddress address;
    return Poco::Net::IPAddress::tryParse(host, address) && address.isLoopback();
}

std::filesystem::path tokenFile(const std::filesystem::path& dataDir) {
    return dataDir / "admin-token";
}

std::string adminToken(const config::EngineConfig& engine) {
    const auto& admin = engine.admin;
    if (admin.token.is_object() && !admin.token.empty()) {
        nlohmann::json value = admin.token;
        config::ConfigErrors errors;
        const auto file = engine.configDir / "engine.json";
        config::resolveSecretRefs(value, engine.configDir, file.string(), "/admin/token", errors);
        if (!errors.empty()) throw AdminTokenError(errors.front().toString());
        if (!value.is_string() || trimmed(value.get<std::string>()).empty())
            throw AdminTokenError(file.string() + ": /admin/token: the token is empty");
        return trimmed(value.get<std::string>());
    }
    if (!isLoopbackHost(admin.host))
        throw AdminTokenError("admin.host " + admin.host +
                              " is not a loopback address: set admin.token ({\"env\": ...} or "
                              "{\"file\": ...}) to serve the admin API there");
    return generatedToken(tokenFile(engine.dataDir));
}

}  // namespace flowgate::admin
