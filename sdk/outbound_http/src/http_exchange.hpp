// One request and its response over one new connection to a checked address.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "flowgate/outbound_http/address_policy.hpp"
#include "flowgate/outbound_http/outbound_http.hpp"
#include "flowgate/outbound_http/outbound_url.hpp"

namespace flowgate::net {

struct Exchange {
    std::string method;
    OutboundUrl url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

// Resolves url.host once, refuses (Kind::refusedAddress) if any of its addresses is not
// allowed, then connects to those same addresses in order (the next one only if a
// connection is refused). Throws OutboundError for every failure; `deadline` bounds
// the whole exchange.
OutboundResponse perform(const Exchange& exchange, const OutboundPolicy& policy,
                         const AddressPolicy& addresses,
                         std::chrono::steady_clock::time_point deadline);

}  // namespace flowgate::net
