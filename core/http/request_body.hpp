// Reading a request body within the configured limit.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>

namespace flowgate::http {

// The body of one request on a keep-alive connection. A body the handler does not read
// would be taken for the next request, so from construction a request with a body closes
// its connection after the answer; read() gives keep-alive back once it has read it all.
class RequestBody {
public:
    RequestBody(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);

    // The whole body, or nullopt as soon as it is known to exceed `limit` bytes: at once
    // from Content-Length, or while reading a chunked body. The rest is never read and
    // the connection closes after the answer (413).
    std::optional<std::string> read(std::size_t limit);

private:
    Poco::Net::HTTPServerRequest& request_;
    Poco::Net::HTTPServerResponse& response_;
    const bool keepAlive_;  // what the server decided before the body was known
};

}  // namespace flowgate::http
