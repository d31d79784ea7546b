// Reading a request body within the configured limit.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include <Poco/Net/HTTPServerRequest.h>

namespace flowgate::http {

// Reads the whole body, or returns nullopt as soon as it is known to exceed `limit`
// bytes: at once from Content-Length, or while reading a chunked body. The rest is
// never read, so the caller must close the connection after answering 413.
std::optional<std::string> readBody(Poco::Net::HTTPServerRequest& request, std::size_t limit);

}  // namespace flowgate::http
