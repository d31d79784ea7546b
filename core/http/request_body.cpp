#include "http/request_body.hpp"

#include <istream>

namespace flowgate::http {

RequestBody::RequestBody(Poco::Net::HTTPServerRequest& request,
                         Poco::Net::HTTPServerResponse& response)
    : request_(request), response_(response), keepAlive_(response.getKeepAlive()) {
    const bool hasBody = request.hasContentLength() ? request.getContentLength64() > 0
                                                    : request.getChunkedTransferEncoding();
    if (hasBody) response.setKeepAlive(false);
}

std::optional<std::string> RequestBody::read(std::size_t limit) {
    Poco::Net::HTTPServerRequest& request = request_;
    std::string body;
    if (request.hasContentLength()) {
        const auto length = request.getContentLength64();
        if (length < 0 || static_cast<std::uint64_t>(length) > limit) return std::nullopt;
        body.reserve(static_cast<std::size_t>(length));
    }
    std::istream& in = request.stream();
    char buffer[16384];
    while (in) {
        in.read(buffer, sizeof buffer);
        const auto n = static_cast<std::size_t>(in.gcount());
        if (n == 0) break;
        if (body.size() + n > limit) return std::nullopt;
        body.append(buffer, n);
    }
    response_.setKeepAlive(keepAlive_);
    return body;
}

}  // namespace flowgate::http
