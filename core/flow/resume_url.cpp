#include "flow/resume_url.hpp"

#include "flowgate/common/byte_encoding.hpp"
#include "flowgate/common/secret_bytes.hpp"

namespace flowgate::flow {

namespace {

constexpr std::string_view kPrefix = "/resume/";

std::string newResumeToken() {
    return common::encodeHex(common::randomBytes(16));
}

}  // namespace

std::string mintResumeUrl(std::string_view base, std::string_view executionId) {
    std::string url(base);
    url.append(kPrefix).append(executionId).append("/").append(newResumeToken());
    return url;
}

bool isResumePath(std::string_view path) {
    return path.starts_with(kPrefix);
}

std::optional<ResumeUrlParts> parseResumePath(std::string_view path) {
    if (!isResumePath(path)) return std::nullopt;
    const std::size_t slash = path.find('/', kPrefix.size());
    if (slash == std::string_view::npos || path.find('/', slash + 1) != std::string_view::npos)
        return std::nullopt;
    ResumeUrlParts parts{std::string(path.substr(kPrefix.size(), slash - kPrefix.size())),
                         std::string(path.substr(slash + 1))};
    if (parts.executionId.empty() || parts.token.empty()) return std::nullopt;
    return parts;
}

std::optional<ResumeUrlParts> parseResumeUrl(std::string_view url) {
    // The base may hold a path of its own ("https://host/hooks"): the last "/resume/" is ours.
    const std::size_t at = url.rfind(kPrefix);
    if (at == std::string_view::npos) return std::nullopt;
    return parseResumePath(url.substr(at));
}

}  // namespace flowgate::flow
