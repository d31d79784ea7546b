#include "flowgate/outbound_http/address_policy.hpp"

#include <stdexcept>

#include "flowgate/common/internal_address.hpp"
#include "flowgate/outbound_http/outbound_http.hpp"

namespace flowgate::net {

using Poco::Net::IPAddress;

AddressPolicy::AddressPolicy(const OutboundPolicy& policy)
    : allowPrivate_(policy.allowPrivateAddresses) {
    for (const auto& text : policy.allowAddresses) {
        auto range = common::AddressRange::parse(text);
        if (!range)
            throw std::invalid_argument("network.allowAddresses: '" + text +
                                        "' is not an address or CIDR range");
        allowed_.push_back(std::move(*range));
    }
}

bool AddressPolicy::allows(const IPAddress& address) const {
    if (allowPrivate_ || !common::isInternalAddress(address)) return true;
    for (const auto& range : allowed_)
        if (range.contains(address)) return true;
    return false;
}

}  // namespace flowgate::net
