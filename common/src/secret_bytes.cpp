#include "flowgate/common/secret_bytes.hpp"

#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/rand.h>

namespace flowgate::common {

bool constantTimeEqual(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void wipe(std::string& secret) {
    if (!secret.empty()) OPENSSL_cleanse(secret.data(), secret.size());
    secret.clear();
}

std::string randomBytes(std::size_t size) {
    std::string out(size, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(size)) != 1)
        throw std::runtime_error("OpenSSL's random generator failed");
    return out;
}

}  // namespace flowgate::common
