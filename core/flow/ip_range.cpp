#include "flow/ip_range.hpp"

namespace flowgate::flow {

using Poco::Net::IPAddress;

std::optional<IpRange> IpRange::parse(const std::string& text) {
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
    return IpRange(address & mask, mask);
}

bool IpRange::contains(const IPAddress& address) const {
    IPAddress candidate = address;
    if (candidate.family() != network_.family()) {
        if (network_.family() != IPAddress::IPv4 || !candidate.isIPv4Mapped()) return false;
        candidate = IPAddress(candidate.toString().substr(7));  // "::ffff:a.b.c.d"
    }
    return (candidate & mask_) == network_;
}

}  // namespace flowgate::flow
