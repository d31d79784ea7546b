#include "http_exchange.hpp"

#include <algorithm>
#include <cctype>
#include <istream>
#include <memory>
#include <ostream>

#include <Poco/Exception.h>
#include <Poco/Net/DNS.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/String.h>

#include "exchange_deadline.hpp"
#include "flowgate/outbound_http/tls_context.hpp"

namespace flowgate::net {

using Kind = OutboundError::Kind;
using Poco::Net::IPAddress;
using Clock = std::chrono::steady_clock;

namespace {

Poco::Timespan remainingWithin(std::chrono::milliseconds limit, Clock::time_point deadline,
                               const std::string& where) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) throw OutboundError(Kind::timeout, "timed out talking to " + where);
    return Poco::Timespan(std::min(limit, left).count() * 1000);
}

std::vector<IPAddress> resolve(const OutboundUrl& url) {
    IPAddress literal;
    if (IPAddress::tryParse(url.host, literal)) return {literal};
    try {
        auto addresses = Poco::Net::DNS::hostByName(url.host).addresses();
        if (addresses.empty()) throw Poco::Net::NoAddressFoundException(url.host);
        return {addresses.begin(), addresses.end()};
    } catch (const Poco::Exception& e) {
        throw OutboundError(Kind::resolve, "cannot resolve " + url.host + ": " + e.displayText());
    }
}

void refuseInternal(const OutboundUrl& url, const std::vector<IPAddress>& addresses,
                    const AddressPolicy& policy) {
    for (const auto& address : addresses)
        if (!policy.allows(address))
            throw OutboundError(Kind::refusedAddress,
                                "refused to call " + url.redacted() + ": " + url.host +
                                    " is the internal address " + address.toString() +
                                    " (allow it with network.allowAddresses or "
                                    "network.allowPrivateAddresses in engine.json)");
}

// Connects to the checked address; for https the TLS name (SNI and certificate check)
// is the URL's host, not the address. An IP literal is not sent as SNI (RFC 6066), and
// Poco then checks the certificate against the address.
std::unique_ptr<Poco::Net::HTTPClientSession> openSession(const OutboundUrl& url,
                                                          const IPAddress& address,
                                                          const OutboundPolicy& policy) {
    const Poco::Net::SocketAddress target(address, url.port);
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (!url.https) {
        session = std::make_unique<Poco::Net::HTTPClientSession>(target);
    } else {
        Poco::Net::SecureStreamSocket socket(clientContext(policy.verifyTls, policy.caFile));
        IPAddress literal;
        if (!IPAddress::tryParse(url.host, literal)) socket.setPeerHostName(url.host);
        session = std::make_unique<Poco::Net::HTTPSClientSession>(socket);
        // Unconnected: sendRequest connects to exactly this literal, no DNS involved.
        session->setHost(address.toString());
        session->setPort(url.port);
    }
    session->setProxyConfig({});  // never through a process-wide proxy
    return session;
}

bool isToken(const std::string& name) {
    static const std::string extra = "!#$%&'*+-.^_`|~";
    return !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
        return std::isalnum(c) || extra.find(static_cast<char>(c)) != std::string::npos;
    });
}

// Framing and routing headers are the client's own: a step cannot smuggle a second
// request or change where the call goes.
bool reservedHeader(const std::string& lowerName) {
    return lowerName == "host" || lowerName == "content-length" ||
           lowerName == "transfer-encoding" || lowerName == "connection" || lowerName == "te" ||
           lowerName == "upgrade";
}

Poco::Net::HTTPRequest buildRequest(const Exchange& exchange) {
    Poco::Net::HTTPRequest request(exchange.method, exchange.url.target,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("Host", exchange.url.authority());
    request.setKeepAlive(false);
    bool userAgent = false;
    for (const auto& [name, value] : exchange.headers) {
        if (!isToken(name))
            throw OutboundError(Kind::protocol, "'" + name + "' is not a valid header name");
        if (value.find_first_of(std::string("\r\n\0", 3)) != std::string::npos)
            throw OutboundError(Kind::protocol,
                                "header '" + name + "' has a line break in its value");
        const std::string lower = Poco::toLower(name);
        if (reservedHeader(lower)) continue;
        userAgent = userAgent || lower == "user-agent";
        request.add(name, value);
    }
    if (!userAgent) request.set("User-Agent", "Flowgate");
    const bool bodyMethod =
        exchange.method == "POST" || exchange.method == "PUT" || exchange.method == "PATCH";
    if (bodyMethod || !exchange.body.empty())
        request.setContentLength(static_cast<std::streamsize>(exchange.body.size()));
    return request;
}

std::string readBody(Poco::Net::HTTPClientSession& session, std::istream& in,
                     const Poco::Net::HTTPResponse& response, const OutboundPolicy& policy,
                     Clock::time_point deadline, const std::string& where) {
    if (response.hasContentLength() &&
        static_cast<std::uint64_t>(response.getContentLength64()) > policy.maxResponseBytes)
        throw OutboundError(Kind::tooLarge, "the response of " + where + " is larger than " +
                                                std::to_string(policy.maxResponseBytes) + " bytes");
    in.exceptions(std::ios::badbit);  // rethrow what the socket threw (timeouts, resets)
    std::string body;
    char buffer[16384];
    while (true) {
        session.socket().setReceiveTimeout(remainingWithin(policy.timeout, deadline, where));
        in.read(buffer, sizeof buffer);
        const auto got = static_cast<std::size_t>(in.gcount());
        if (got == 0) break;
        if (body.size() + got > policy.maxResponseBytes)
            throw OutboundError(Kind::tooLarge, "the response of " + where + " is larger than " +
                                                    std::to_string(policy.maxResponseBytes) +
                                                    " bytes");
        body.append(buffer, got);
    }
    if (response.hasContentLength() &&
        body.size() < static_cast<std::uint64_t>(response.getContentLength64()))
        throw OutboundError(Kind::protocol, where +
                                                " closed the connection before the whole "
                                                "response body arrived");
    return body;
}

OutboundResponse exchangeOnce(Poco::Net::HTTPClientSession& session, const Exchange& exchange,
                              const OutboundPolicy& policy, Clock::time_point deadline);

// exchangeOnce under the whole-exchange deadline: a read the deadline cut short fails as
// a timeout, whatever error the shut-down socket gave.
OutboundResponse exchangeBefore(Poco::Net::HTTPClientSession& session, const Exchange& exchange,
                                const OutboundPolicy& policy, Clock::time_point deadline) {
    ExchangeDeadline guard(session.socket(), deadline);
    try {
        return exchangeOnce(session, exchange, policy, deadline);
    } catch (...) {
        if (guard.passed())
            throw OutboundError(Kind::timeout, "timed out talking to " + exchange.url.redacted());
        throw;
    }
}

OutboundResponse exchangeOnce(Poco::Net::HTTPClientSession& session, const Exchange& exchange,
                              const OutboundPolicy& policy, Clock::time_point deadline) {
    const std::string where = exchange.url.redacted();
    const Poco::Timespan io = remainingWithin(policy.timeout, deadline, where);
    session.setTimeout(remainingWithin(policy.connectTimeout, deadline, where), io, io);
    Poco::Net::HTTPRequest request = buildRequest(exchange);
    std::ostream& out = session.sendRequest(request);
    out.write(exchange.body.data(), static_cast<std::streamsize>(exchange.body.size()));
    out.flush();
    if (!out) throw Poco::IOException("the request body could not be sent");

    Poco::Net::HTTPResponse response;
    session.socket().setReceiveTimeout(remainingWithin(policy.timeout, deadline, where));
    std::istream& in = session.receiveResponse(response);
    OutboundResponse result;
    result.status = static_cast<int>(response.getStatus());
    result.reason = response.getReason();
    for (const auto& [name, value] : response)
        result.headers.emplace_back(Poco::toLower(name), value);
    // A HEAD answer, 1xx, 204 and 304 have no body, whatever Content-Length says (RFC 9110
    // 6.4.1); Poco gives an empty stream for them.
    const bool noBody = exchange.method == "HEAD" || result.status < 200 ||
                        result.status == 204 || result.status == 304;
    if (!noBody) result.body = readBody(session, in, response, policy, deadline, where);
    result.finalUrl = exchange.url.text();
    return result;
}

// Poco's exceptions, said as OutboundError kinds. Messages hold the redacted URL and
// Poco's text, which names hosts and system errors, never request data.
[[noreturn]] void rethrowAsOutbound(const std::string& where) {
    try {
        throw;
    } catch (const OutboundError&) {
        throw;
    } catch (const Poco::TimeoutException&) {
        throw OutboundError(Kind::timeout, "timed out talking to " + where);
    } catch (const Poco::Net::SSLException& e) {
        throw OutboundError(Kind::tls, "TLS with " + where + " failed: " + e.displayText());
    } catch (const Poco::Net::ConnectionRefusedException& e) {
        throw OutboundError(Kind::connect, "cannot connect to " + where + ": " + e.displayText());
    } catch (const Poco::Net::MessageException& e) {
        throw OutboundError(Kind::protocol,
                            where + " sent an invalid response: " + e.displayText());
    } catch (const Poco::Net::NoMessageException&) {
        throw OutboundError(Kind::protocol, where + " closed the connection without a response");
    } catch (const Poco::Exception& e) {
        throw OutboundError(Kind::connect,
                            "connection to " + where + " failed: " + e.displayText());
    } catch (const std::exception& e) {
        throw OutboundError(Kind::protocol, "calling " + where + " failed: " + e.what());
    }
}

}  // namespace

OutboundResponse perform(const Exchange& exchange, const OutboundPolicy& policy,
                         const AddressPolicy& addresses, Clock::time_point deadline) {
    const std::string where = exchange.url.redacted();
    const std::vector<IPAddress> resolved = resolve(exchange.url);
    refuseInternal(exchange.url, resolved, addresses);
    for (std::size_t i = 0; i < resolved.size(); ++i) {
        try {
            auto session = openSession(exchange.url, resolved[i], policy);
            return exchangeBefore(*session, exchange, policy, deadline);
        } catch (const Poco::Net::ConnectionRefusedException&) {
            // Nothing was sent: the host's next address may answer ("localhost" as ::1
            // and 127.0.0.1 with a server on only one of them).
            if (i + 1 < resolved.size()) continue;
            rethrowAsOutbound(where);
        } catch (...) {
            rethrowAsOutbound(where);
        }
    }
    throw OutboundError(Kind::resolve, "cannot resolve " + exchange.url.host);
}

}  // namespace flowgate::net
