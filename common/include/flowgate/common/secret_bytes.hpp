// Handling secret bytes: comparing them without a timing leak, wiping them, and making
// new random ones.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace flowgate::common {

// True if `a` and `b` hold the same bytes. The time taken depends on the lengths only;
// callers compare fixed-size digests, whose lengths are public.
bool constantTimeEqual(std::string_view a, std::string_view b);

// Overwrites `secret`'s bytes (OPENSSL_cleanse: not optimised away), then clears it.
void wipe(std::string& secret);

// `size` bytes from OpenSSL's CSPRNG; throws std::runtime_error if it cannot deliver.
std::string randomBytes(std::size_t size);

}  // namespace flowgate::common
