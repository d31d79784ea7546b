// The resume URL of a paused execution, "<base>/resume/<executionId>/<token>": the one
// module that makes it and reads it back (the intake mints it into meta.resumeUrl and
// routes calls to it; the worker reads the token when a step waits).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace flowgate::flow {

struct ResumeUrlParts {
    std::string executionId;
    std::string token;
};

// "<base>/resume/<executionId>/<token>" with a new token: 128 bits from OpenSSL's CSPRNG,
// hex. The token is all a caller needs to resume an execution, so it must not be
// guessable from other ids. `base` has no trailing slash.
std::string mintResumeUrl(std::string_view base, std::string_view executionId);

// Whether a request path is for the resume handler ("/resume/...").
bool isResumePath(std::string_view path);

// "/resume/{executionId}/{token}" (a request path); nullopt for anything else.
std::optional<ResumeUrlParts> parseResumePath(std::string_view path);

// The parts of a whole URL made by mintResumeUrl (whatever its base); nullopt if it is
// not one.
std::optional<ResumeUrlParts> parseResumeUrl(std::string_view url);

}  // namespace flowgate::flow
