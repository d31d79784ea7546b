// The request headers as handlers use them: lower-cased names, and which of them carry a
// caller's credentials (never stored in a message, never shown to steps or loggers).
#pragma once

#include <string>

#include <Poco/Net/HTTPRequest.h>

#include "auth/verifier.hpp"

namespace flowgate::http {

// Lower-cased names; a field sent twice is joined with ", " (RFC 9110).
auth::HeaderMap lowerCaseHeaders(const Poco::Net::HTTPRequest& request);

// Authorization, Proxy-Authorization and Cookie (`lowerName` already lower-cased).
bool isCredentialHeader(const std::string& lowerName);

// Keeps every later request on a keep-alive connection under its own deadline: a handler
// pauses the deadline while it waits on the engine, and this restarts it on the way out.
struct RestartDeadlineOnExit {
    RestartDeadlineOnExit() = default;
    RestartDeadlineOnExit(const RestartDeadlineOnExit&) = delete;
    RestartDeadlineOnExit& operator=(const RestartDeadlineOnExit&) = delete;
    ~RestartDeadlineOnExit();
};

}  // namespace flowgate::http
