// An address or CIDR range: "203.0.113.7", "10.0.0.0/8", "2001:db8::/32". Used for a
// flow's trigger.allowIps and the engine's network.allowAddresses (outbound calls).
#pragma once

#include <optional>
#include <string>

#include <Poco/Net/IPAddress.h>

namespace flowgate::common {

class AddressRange {
public:
    // nullopt if `text` is not an address or a CIDR range (a prefix length of 0-32 for
    // IPv4, 0-128 for IPv6, digits only).
    static std::optional<AddressRange> parse(const std::string& text);
    // An IPv4 range also holds the IPv4-mapped IPv6 forms of its addresses
    // (::ffff:a.b.c.d), as clients on a dual-stack socket are seen.
    bool contains(const Poco::Net::IPAddress& address) const;

private:
    AddressRange(Poco::Net::IPAddress network, Poco::Net::IPAddress mask)
        : network_(std::move(network)), mask_(std::move(mask)) {}
    Poco::Net::IPAddress network_;
    Poco::Net::IPAddress mask_;
};

}  // namespace flowgate::common
