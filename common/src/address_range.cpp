#include "flowgate/common/address_range.hpp"

#include <array>
#include <cstdint>
#include <cstring>

namespace flowgate::common {

using Poco::Net::IPAddress;

std::optional<AddressRange> AddressRange::parse(const std::string& text) {
    const std::size_t slash = text.find('/');
    IPAddress address;
    if (!IPAddress::tryParse(text.substr(0, slash), address)) return std::nullopt;
    const unsigned maxBits = address.family() == IPAddress::IPv4 ? 32 : 128;
    unsigned bits = maxBits;
    if (slash != std::string::npos) {
        const std::string prefix = text.substr(slash + 1);
        if (prefix.empty() || prefix.size() > 3 ||
            prefix.find_first_not_of("0123456789") != std::string::npos)
            return std::nullopt;
        bits = static_cast<unsigned>(std::stoi(prefix));
        if (bits > maxBits) return std::nullopt;
    }
    IPAddress mask(bits, address.family());
    return AddressRange(address & mask, mask);
}

bool AddressRange::contains(const IPAddress& address) const {
    if (address.family() == network_.family()) return (address & mask_) == network_;
    if (network_.family() != IPAddress::IPv4 || !address.isIPv4Mapped()) return false;
    std::array<std::uint8_t, 16> bytes{};
    std::memcpy(bytes.data(), address.addr(), bytes.size());
    const IPAddress v4(bytes.data() + 12, 4);
    return (v4 & mask_) == network_;
}

}  // namespace flowgate::common
