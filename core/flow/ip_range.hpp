// An address range of a flow's IP allow list: "203.0.113.7", "10.0.0.0/8", "2001:db8::/32".
#pragma once

#include <optional>
#include <string>

#include <Poco/Net/IPAddress.h>

namespace flowgate::flow {

class IpRange {
public:
    // nullopt if `text` is not an address or CIDR range.
    static std::optional<IpRange> parse(const std::string& text);
    // IPv4 clients seen as IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) match IPv4 ranges.
    bool contains(const Poco::Net::IPAddress& address) const;

private:
    IpRange(Poco::Net::IPAddress network, Poco::Net::IPAddress mask)
        : network_(std::move(network)), mask_(std::move(mask)) {}
    Poco::Net::IPAddress network_;
    Poco::Net::IPAddress mask_;
};

}  // namespace flowgate::flow
