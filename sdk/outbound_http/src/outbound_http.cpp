#include "flowgate/outbound_http/outbound_http.hpp"

#include <algorithm>

#include <Poco/String.h>

#include "flowgate/outbound_http/address_policy.hpp"
#include "http_exchange.hpp"
#include "flowgate/outbound_http/outbound_url.hpp"

namespace flowgate::net {

using Kind = OutboundError::Kind;

OutboundError::OutboundError(Kind kind, const std::string& what)
    : std::runtime_error(what), kind_(kind) {}

OutboundError::Kind OutboundError::kind() const {
    return kind_;
}

std::string OutboundResponse::header(std::string_view lowerName) const {
    for (const auto& [name, value] : headers)
        if (name == lowerName) return value;
    return {};
}

OutboundPolicy policyFromEngineSettings(const nlohmann::json& engineSettings) {
    OutboundPolicy policy;
    if (!engineSettings.is_object()) return policy;
    const auto network = engineSettings.find("network");
    if (network == engineSettings.end() || !network->is_object()) return policy;
    policy.allowPrivateAddresses = network->value("allowPrivateAddresses", false);
    const auto allow = network->find("allowAddresses");
    if (allow != network->end() && allow->is_array())
        for (const auto& entry : *allow)
            if (entry.is_string()) policy.allowAddresses.push_back(entry.get<std::string>());
    AddressPolicy{policy};  // refuse a range that does not parse now, not on first use
    return policy;
}

namespace {

bool isRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// What a redirect changes in the next request: 303 (and 301/302 after a POST, as every
// browser does) becomes a GET without body; leaving the origin drops the credentials.
void followTo(Exchange& next, int status, const OutboundUrl& target,
              const std::vector<std::string>& secretHeaders) {
    const bool toGet = (status == 303 && next.method != "HEAD") ||
                       ((status == 301 || status == 302) && next.method == "POST");
    auto drop = [&next](auto predicate) {
        next.headers.erase(std::remove_if(next.headers.begin(), next.headers.end(), predicate),
                           next.headers.end());
    };
    if (toGet) {
        next.method = "GET";
        next.body.clear();
        drop([](const auto& h) { return Poco::icompare(h.first, "content-type") == 0; });
    }
    if (!next.url.sameOrigin(target)) {
        drop([&secretHeaders](const auto& h) {
            static const char* kAlwaysSecret[] = {"authorization", "proxy-authorization", "cookie"};
            for (const char* name : kAlwaysSecret)
                if (Poco::icompare(h.first, name) == 0) return true;
            for (const auto& name : secretHeaders)
                if (Poco::icompare(h.first, name) == 0) return true;
            return false;
        });
    }
    next.url = target;
}

}  // namespace

OutboundResponse send(const OutboundRequest& request, const OutboundPolicy& policy) {
    const auto deadline = std::chrono::steady_clock::now() + policy.timeout;
    const AddressPolicy addresses(policy);
    Exchange exchange{Poco::toUpper(request.method), parseOutboundUrl(request.url), request.headers,
                      request.body};
    for (int redirects = 0;; ++redirects) {
        OutboundResponse response = perform(exchange, policy, addresses, deadline);
        const std::string location = response.header("location");
        if (!isRedirect(response.status) || policy.maxRedirects <= 0 || location.empty())
            return response;
        if (redirects >= policy.maxRedirects)
            throw OutboundError(Kind::protocol, "more than " + std::to_string(policy.maxRedirects) +
                                                    " redirects, starting at " +
                                                    parseOutboundUrl(request.url).redacted());
        followTo(exchange, response.status, resolveRedirect(exchange.url, location),
                 policy.secretHeaders);
    }
}

}  // namespace flowgate::net
