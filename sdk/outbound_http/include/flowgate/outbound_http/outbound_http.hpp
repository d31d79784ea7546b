// The safe outbound HTTP(S) client shared by plugins that call other systems (http,
// webhook-send, twitter). It refuses internal addresses unless the engine allows them,
// checks the address it actually connects to (no second DNS lookup), verifies TLS by
// default and bounds time and response size.
#pragma once

#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace flowgate::net {

struct OutboundRequest {
    std::string method = "GET";
    std::string url;  // http:// or https://
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

struct OutboundResponse {
    int status = 0;
    std::string reason;
    std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
    std::string body;
    std::string finalUrl;                                  // after redirects
    std::string header(std::string_view lowerName) const;  // "" if absent
};

struct OutboundPolicy {
    bool allowPrivateAddresses = false;  // engine: network.allowPrivateAddresses
    std::vector<std::string>
        allowAddresses;  // engine: network.allowAddresses (CIDRs always allowed)
    std::chrono::milliseconds connectTimeout{10000};
    std::chrono::milliseconds timeout{30000};  // whole exchange / per read
    int maxRedirects = 5;                      // 0: return 3xx as is
    std::size_t maxResponseBytes = 10 * 1024 * 1024;
    bool verifyTls = true;
    std::string caFile;  // extra trust anchors (PEM); empty: system store
    // Request headers that carry secrets besides Authorization, Proxy-Authorization and
    // Cookie (e.g. "X-API-Key"): all of them are dropped when a redirect leaves the origin.
    std::vector<std::string> secretHeaders;
};

// Reads network.* of StepContext::engineSettings(). Throws std::invalid_argument for an
// allowAddresses entry that is not an address or CIDR range (the engine validates them
// first, so this only happens with hand-made settings).
OutboundPolicy policyFromEngineSettings(const nlohmann::json& engineSettings);

class OutboundError : public std::runtime_error {
public:
    enum class Kind { badUrl, refusedAddress, resolve, connect, tls, timeout, tooLarge, protocol };
    OutboundError(Kind kind, const std::string& what);
    Kind kind() const;

private:
    Kind kind_;
};

// Thread-safe. Resolves the host, refuses the request (Kind::refusedAddress) if ANY
// resolved address is internal and not allowed, connects to the checked address itself
// (no second DNS lookup: no DNS-rebinding window), sends the Host header / TLS SNI and
// certificate-name check for the original host name; follows redirects (301/302/303/307/308,
// 303 and 301/302-on-POST become GET without body) re-checking each target the same way.
// `timeout` bounds every read and the whole exchange including redirects (checked
// between reads). Error messages name the host and path, never the query, headers or body.
OutboundResponse send(const OutboundRequest& request, const OutboundPolicy& policy);

}  // namespace flowgate::net
