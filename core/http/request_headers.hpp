// The request headers as handlers use them, and which of them carry a caller's
// credentials (never stored in a message, never shown to steps or loggers).
#pragma once

#include <string>

#include "auth/verifier.hpp"
#include "http/http_message.hpp"

namespace flowgate::http {

// Lower-cased names; a field sent twice is joined with ", " (RFC 9110).
auth::HeaderMap lowerCaseHeaders(const Request& request);

// Authorization, Proxy-Authorization and Cookie (`lowerName` already lower-cased).
bool isCredentialHeader(const std::string& lowerName);

}  // namespace flowgate::http
