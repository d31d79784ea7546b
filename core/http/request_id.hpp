// Request ids: random UUIDs (version 4), one per accepted webhook call. They name the
// execution everywhere (queue, logs, answers), so they must not repeat.
#pragma once

#include <string>

namespace flowgate::http {

// Thread-safe and lock-free: each thread has its own generator seeded from the OS.
std::string newRequestId();

}  // namespace flowgate::http
