// Which addresses an outbound call may reach: internal ones (loopback, private, link-local,
// ...) only if the engine allows private addresses or lists them in allowAddresses.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <Poco/Net/IPAddress.h>

namespace flowgate::plugins::net {

struct OutboundPolicy;

// Loopback 127/8 and ::1, private 10/8 172.16/12 192.168/16, link-local 169.254/16 and
// fe80::/10, CGNAT 100.64/10, 0/8, 192.0.0/24, benchmarking 198.18/15, multicast,
// 240/4 (reserved and broadcast), unique-local fc00::/7, site-local fec0::/10, discard
// 100::/64, documentation 2001:db8::/32, the unspecified address, and IPv6 forms that
// embed an internal IPv4 address (mapped ::ffff:0:0/96, compatible ::/96, NAT64
// 64:ff9b::/96, 6to4 2002::/16); local-use NAT64 64:ff9b:1::/48 always.
bool isInternalAddress(const Poco::Net::IPAddress& address);

// "203.0.113.7", "10.0.0.0/8", "2001:db8::/32". An IPv4 range also holds the IPv4-mapped
// IPv6 forms of its addresses.
class AddressRange {
public:
    static std::optional<AddressRange> parse(const std::string& text);
    bool contains(const Poco::Net::IPAddress& address) const;

private:
    AddressRange(Poco::Net::IPAddress network, Poco::Net::IPAddress mask)
        : network_(std::move(network)), mask_(std::move(mask)) {}
    Poco::Net::IPAddress network_;
    Poco::Net::IPAddress mask_;
};

class AddressPolicy {
public:
    // Throws std::invalid_argument for an allowAddresses entry that does not parse.
    explicit AddressPolicy(const OutboundPolicy& policy);
    // Public addresses always; internal ones if private addresses are allowed or an
    // allowAddresses range holds them.
    bool allows(const Poco::Net::IPAddress& address) const;

private:
    bool allowPrivate_;
    std::vector<AddressRange> allowed_;
};

}  // namespace flowgate::plugins::net
