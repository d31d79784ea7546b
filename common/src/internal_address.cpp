#include "flowgate/common/internal_address.hpp"

#include <array>
#include <cstdint>
#include <cstring>

namespace flowgate::common {

using Poco::Net::IPAddress;

namespace {

using V4 = std::array<std::uint8_t, 4>;
using V6 = std::array<std::uint8_t, 16>;

bool internalV4(const V4& b) {
    if (b[0] == 0 || b[0] == 10 || b[0] == 127) return true;  // this network, private, loopback
    if (b[0] == 100 && (b[1] & 0xC0) == 64) return true;      // CGNAT 100.64/10
    if (b[0] == 169 && b[1] == 254) return true;              // link-local (cloud metadata)
    if (b[0] == 172 && (b[1] & 0xF0) == 16) return true;      // 172.16/12
    if (b[0] == 192 && b[1] == 168) return true;              // 192.168/16
    if (b[0] == 192 && b[1] == 0 && b[2] == 0) return true;   // IETF protocol assignments
    if (b[0] == 198 && (b[1] & 0xFE) == 18) return true;      // benchmarking 198.18/15
    return b[0] >= 224;                                       // multicast, 240/4, broadcast
}

bool allZero(const V6& b, std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i)
        if (b[i] != 0) return false;
    return true;
}

V4 v4At(const V6& b, std::size_t offset) {
    return {b[offset], b[offset + 1], b[offset + 2], b[offset + 3]};
}

bool internalV6(const V6& b) {
    // ::/96 holds the unspecified address, ::1 and the deprecated IPv4-compatible form.
    if (allZero(b, 0, 12)) return internalV4(v4At(b, 12));
    if (allZero(b, 0, 10) && b[10] == 0xFF && b[11] == 0xFF) return internalV4(v4At(b, 12));
    const bool nat64 = b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B;
    if (nat64 && allZero(b, 4, 12)) return internalV4(v4At(b, 12));     // 64:ff9b::/96
    if (nat64 && b[4] == 0x00 && b[5] == 0x01) return true;             // 64:ff9b:1::/48
    if (b[0] == 0x20 && b[1] == 0x02) return internalV4(v4At(b, 2));    // 6to4 2002::/16
    if (b[0] == 0x01 && b[1] == 0x00 && allZero(b, 2, 8)) return true;  // discard 100::/64
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8) return true;  // 2001:db8::/32
    if ((b[0] & 0xFE) == 0xFC) return true;                  // unique-local fc00::/7
    if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) return true;  // link-local fe80::/10
    if (b[0] == 0xFE && (b[1] & 0xC0) == 0xC0) return true;  // site-local fec0::/10
    return b[0] == 0xFF;                                     // multicast
}

}  // namespace

bool isInternalAddress(const IPAddress& address) {
    if (address.family() == IPAddress::IPv4) {
        V4 bytes{};
        std::memcpy(bytes.data(), address.addr(), bytes.size());
        return internalV4(bytes);
    }
    V6 bytes{};
    std::memcpy(bytes.data(), address.addr(), bytes.size());
    return internalV6(bytes);
}

}  // namespace flowgate::common
