// The access log: one "flowgate.access" line at information level per answered request
// (engine.json http.accessLog, default on). It names the method, the path (never the
// query string, which may carry secrets), the status, the flow, the requestId, the time
// from the request's first byte to its answer, and the client's address; never headers
// or bodies. In the JSON log format each of these is a field (log/log_fields.hpp).
#pragma once

#include <string>
#include <string_view>

namespace flowgate::http {

struct AccessRecord {
    std::string_view method;  // empty when the request line was not readable
    std::string_view path;    // the target up to '?'
    int status = 0;
    std::string_view flow;       // empty when the request reached no flow
    std::string_view requestId;  // empty when refused before a handler
    double durationMs = 0;
    std::string remote;  // the client's address
};

// Thread-safe; costs nothing when the "flowgate.access" logger is off.
void logAccess(const AccessRecord& record);

// Whether logAccess writes anything now (the logger's level takes information): a caller
// spares building a record, the client's address as text most of all, when it does not.
bool accessLogOn();

}  // namespace flowgate::http
