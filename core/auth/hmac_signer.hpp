// The keys of one webhook credential (several while a secret is rotated), and a check of
// presented signatures against every one of them. The HMAC itself is the shared layer's
// (flowgate/common/hmac.hpp).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "flowgate/common/hmac.hpp"
#include "flowgate/common/secret_bytes.hpp"

namespace flowgate::auth {

using common::digestSize;
using common::HmacAlgorithm;
using common::hmacAlgorithmName;
using common::parseHmacAlgorithm;
using common::sha256;
using common::wipe;

enum class MacCheck { match, mismatch, failed };

// Immutable after construction; check() may be called from several threads at once. The
// keys are wiped from memory when the signer is destroyed.
class HmacSigner {
public:
    // Throws std::invalid_argument for no key or an empty key, std::runtime_error if
    // OpenSSL offers no HMAC. Messages never contain key material.
    HmacSigner(HmacAlgorithm algorithm, std::vector<std::string> keys);
    HmacSigner(HmacSigner&&) noexcept;
    HmacSigner& operator=(HmacSigner&&) noexcept;
    ~HmacSigner();

    // Whether the HMAC of the concatenated `parts` under any key equals any of the
    // decoded `signatures`. Every key is computed and compared against every signature of
    // the right length, whatever matched before; `failed` if OpenSSL failed.
    MacCheck check(std::span<const std::string_view> parts,
                   std::span<const std::string> signatures) const;

    HmacAlgorithm algorithm() const { return algorithm_; }

private:
    HmacAlgorithm algorithm_;
    std::vector<std::string> keys_;
    common::Hmac hmac_;
};

}  // namespace flowgate::auth
