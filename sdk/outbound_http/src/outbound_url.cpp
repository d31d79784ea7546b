#include "flowgate/outbound_http/outbound_url.hpp"

#include <Poco/Exception.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include "flowgate/outbound_http/outbound_http.hpp"

namespace flowgate::net {

namespace {

OutboundError badUrl(const std::string& why) {
    return OutboundError(OutboundError::Kind::badUrl, why);
}

bool hasControlOrSpace(const std::string& text) {
    for (unsigned char c : text)
        if (c <= 0x20 || c == 0x7F) return true;
    return false;
}

OutboundUrl fromUri(const Poco::URI& uri) {
    const std::string scheme = Poco::toLower(uri.getScheme());
    if (scheme != "http" && scheme != "https")
        throw badUrl(scheme.empty() ? "the URL must start with http:// or https://"
                                    : "URL scheme '" + scheme + "' is not http or https");
    if (!uri.getUserInfo().empty())
        throw badUrl("the URL must not hold user information (user:password@); use a credential");
    if (uri.getHost().empty()) throw badUrl("the URL has no host");
    if (uri.getPort() == 0) throw badUrl("the URL's port must be 1 to 65535");
    OutboundUrl url;
    url.https = scheme == "https";
    url.host = Poco::toLower(uri.getHost());
    url.port = uri.getPort();
    url.target = uri.getPathAndQuery();
    if (url.target.empty() || url.target.front() != '/') url.target.insert(0, "/");
    return url;
}

}  // namespace

std::string OutboundUrl::authority() const {
    std::string text = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    if (port != (https ? 443 : 80)) text += ":" + std::to_string(port);
    return text;
}

std::string OutboundUrl::text() const {
    return (https ? "https://" : "http://") + authority() + target;
}

std::string OutboundUrl::redacted() const {
    return (https ? "https://" : "http://") + authority();
}

bool OutboundUrl::sameOrigin(const OutboundUrl& other) const {
    return https == other.https && host == other.host && port == other.port;
}

OutboundUrl parseOutboundUrl(const std::string& text) {
    if (text.empty()) throw badUrl("the URL is empty");
    if (hasControlOrSpace(text)) throw badUrl("the URL holds spaces or control characters");
    try {
        return fromUri(Poco::URI(text));
    } catch (const Poco::SyntaxException&) {
        throw badUrl("the URL is not a valid http(s) URL");
    }
}

OutboundUrl resolveRedirect(const OutboundUrl& base, const std::string& location) {
    if (hasControlOrSpace(location))
        throw badUrl("redirect Location holds spaces or control characters");
    try {
        // Poco 1.11 resolves "//host/path" (a network-path reference) as a path.
        if (location.rfind("//", 0) == 0)
            return fromUri(Poco::URI((base.https ? "https:" : "http:") + location));
        Poco::URI target(base.text());
        target.resolve(location);
        return fromUri(target);
    } catch (const Poco::SyntaxException&) {
        throw badUrl("redirect Location is not a valid URL");
    } catch (const OutboundError& e) {
        throw badUrl(std::string("redirect from ") + base.redacted() + ": " + e.what());
    }
}

}  // namespace flowgate::net
