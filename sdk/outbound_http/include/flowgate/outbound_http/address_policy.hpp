// Which addresses an outbound call may reach: internal ones (loopback, private, link-local,
// ...) only if the engine allows private addresses or lists them in allowAddresses.
#pragma once

#include <string>
#include <vector>

#include <Poco/Net/IPAddress.h>

#include "flowgate/common/address_range.hpp"

namespace flowgate::net {

struct OutboundPolicy;

class AddressPolicy {
public:
    // Throws std::invalid_argument for an allowAddresses entry that does not parse.
    explicit AddressPolicy(const OutboundPolicy& policy);
    // Public addresses always; internal ones if private addresses are allowed or an
    // allowAddresses range holds them.
    bool allows(const Poco::Net::IPAddress& address) const;

private:
    bool allowPrivate_;
    std::vector<common::AddressRange> allowed_;
};

}  // namespace flowgate::net
