#include "support/http_client.hpp"

#include <sstream>

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/String.h>

namespace flowgate::test {

HttpResult request(int port, const HttpCall& call) {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
    session.setTimeout(Poco::Timespan(30, 0));
    Poco::Net::HTTPRequest req(call.method, call.path, Poco::Net::HTTPMessage::HTTP_1_1);
    if (!call.contentType.empty()) req.setContentType(call.contentType);
    for (const auto& [name, value] : call.headers) req.set(name, value);
    const bool hasBody = call.method != "GET" && call.method != "HEAD";
    if (call.chunked) req.setChunkedTransferEncoding(true);
    else if (hasBody) req.setContentLength(static_cast<std::streamsize>(call.body.size()));
    std::ostream& out = session.sendRequest(req);
    if (hasBody || call.chunked) out << call.body;

    Poco::Net::HTTPResponse res;
    std::istream& in = session.receiveResponse(res);
    HttpResult result;
    result.status = res.getStatus();
    for (const auto& [name, value] : res) result.headers[Poco::toLower(name)] = value;
    if (call.method != "HEAD") {
        std::ostringstream body;
        Poco::StreamCopier::copyStream(in, body);
        result.body = body.str();
    }
    return result;
}

}  // namespace flowgate::test
