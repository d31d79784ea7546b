// Request ids: UUIDs of version 7 (a millisecond time prefix, then 74 random bits), one per
// accepted webhook call. They name the execution everywhere (queue, logs, answers), so
// they must not repeat; they sort by time, so indexes keyed by them grow at their end.
#pragma once

#include <string>

#include "http/http_message.hpp"

namespace flowgate::http {

// Thread-safe and lock-free: each thread has its own generator seeded from the OS.
std::string newRequestId();

// A new resume URL (flow/resume_url.hpp). <base> is `publicBaseUrl`, or else the address
// the request reached (the server's own socket): never the caller's Host header, which
// would let a caller point the URL, and its token, at a host of their choosing.
std::string resumeUrl(const std::string& publicBaseUrl,
                      const Request& request,
                      const std::string& executionId);

}  // namespace flowgate::http
