// An http(s) URL taken apart for an outbound call, and where a redirect leads.
#pragma once

#include <cstdint>
#include <string>

namespace flowgate::net {

struct OutboundUrl {
    bool https = false;
    std::string host;  // lower-case; an IPv6 literal without brackets
    std::uint16_t port = 0;
    std::string target;  // path and query, at least "/"; never a fragment

    // What the Host header says: host (IPv6 in brackets), ":port" unless the default.
    std::string authority() const;
    std::string text() const;
    // scheme://authority, without path or query: for messages, since both often carry
    // tokens (Slack and Discord webhook URLs have theirs in the path).
    std::string redacted() const;
    bool sameOrigin(const OutboundUrl& other) const;
};

// Throws OutboundError(badUrl) for anything but an absolute http(s) URL with a host;
// user information ("user:pass@") is refused so that secrets live in credentials. The
// message never repeats the URL, which may hold a secret.
OutboundUrl parseOutboundUrl(const std::string& text);

// The target of a redirect from `base` to a Location value (absolute or relative).
OutboundUrl resolveRedirect(const OutboundUrl& base, const std::string& location);

}  // namespace flowgate::net
