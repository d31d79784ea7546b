// Comparing secret-derived bytes without telling the caller, through timing, where they
// first differ.
#pragma once

#include <string_view>

#include <openssl/crypto.h>

namespace flowgate::auth {

// True if `a` and `b` hold the same bytes. The time taken depends on the lengths only;
// callers compare fixed-size digests, whose lengths are public.
inline bool constantTimeEqual(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace flowgate::auth
