#include "http/request_headers.hpp"

#include <Poco/String.h>

#include "http/connection_watchdog.hpp"

namespace flowgate::http {

auth::HeaderMap lowerCaseHeaders(const Poco::Net::HTTPRequest& request) {
    auth::HeaderMap headers;
    for (const auto& [name, value] : request) {
        auto [it, inserted] = headers.emplace(Poco::toLower(name), value);
        if (!inserted) it->second += ", " + value;
    }
    return headers;
}

bool isCredentialHeader(const std::string& lowerName) {
    return lowerName == "authorization" || lowerName == "proxy-authorization" ||
           lowerName == "cookie";
}

RestartDeadlineOnExit::~RestartDeadlineOnExit() { ConnectionWatchdog::restartCurrent(); }

}  // namespace flowgate::http
