// Which addresses are internal: the ones an outbound call must not reach unless the
// engine allows it (the SSRF address policy of flowgate/outbound_http).
#pragma once

#include <Poco/Net/IPAddress.h>

namespace flowgate::common {

// Loopback 127/8 and ::1, private 10/8 172.16/12 192.168/16, link-local 169.254/16 and
// fe80::/10, CGNAT 100.64/10, 0/8, 192.0.0/24, benchmarking 198.18/15, multicast,
// 240/4 (reserved and broadcast), unique-local fc00::/7, site-local fec0::/10, discard
// 100::/64, documentation 2001:db8::/32, the unspecified address, and IPv6 forms that
// embed an internal IPv4 address (mapped ::ffff:0:0/96, compatible ::/96, NAT64
// 64:ff9b::/96, 6to4 2002::/16); local-use NAT64 64:ff9b:1::/48 always.
bool isInternalAddress(const Poco::Net::IPAddress& address);

}  // namespace flowgate::common
