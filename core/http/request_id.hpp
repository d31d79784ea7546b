// Request ids: random UUIDs (version 4), one per accepted webhook call. They name the
// execution everywhere (queue, logs, answers), so they must not repeat.
#pragma once

#include <string>

namespace flowgate::http {

// Thread-safe and lock-free: each thread has its own generator seeded from the OS.
std::string newRequestId();

// 128 bits from OpenSSL's CSPRNG, hex: the secret part of a resume URL, which is all a
// caller needs to resume an execution, so it must not be guessable from other ids.
std::string newResumeToken();

}  // namespace flowgate::http
