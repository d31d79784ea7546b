// HTTP Basic (RFC 7617) against a list of username/password pairs.
#include <stdexcept>

#include "flowgate/common/byte_encoding.hpp"
#include "flowgate/common/secret_bytes.hpp"
#include "auth/verifiers.hpp"

namespace flowgate::auth {

using common::constantTimeEqual;
using common::decodeBase64;

namespace {

const std::pair<std::string, std::string> kChallenge{"WWW-Authenticate",
                                                     R"(Basic realm="flowgate", charset="UTF-8")"};

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
    return a.size() == b.size() && toLowerAscii(a) == toLowerAscii(b);
}

// Only SHA-256 digests are kept: equal-length values for the comparison, and no
// plaintext password in this object.
struct UserDigest {
    std::string username;
    std::string password;
};

std::string digestOrThrow(std::string_view secret) {
    auto digest = sha256(secret);
    if (!digest) throw std::runtime_error("OpenSSL could not compute SHA-256");
    return std::move(*digest);
}

class BasicAuthVerifier final : public Verifier {
public:
    explicit BasicAuthVerifier(std::vector<BasicUser> users) {
        if (users.empty()) throw std::invalid_argument("Basic authentication needs a user");
        for (auto& user : users) {
            users_.push_back({digestOrThrow(user.username), digestOrThrow(user.password)});
            wipe(user.password);
        }
    }

    Verdict verify(const WebhookRequest& request,
                   std::chrono::system_clock::time_point) const override {
        Verdict verdict = decide(request);
        if (!verdict.accepted) verdict.responseHeaders.push_back(kChallenge);
        return verdict;
    }

    SecretFields secretFields() const override { return {{"authorization"}, {}}; }

private:
    Verdict decide(const WebhookRequest& request) const {
        auto header = findHeader(request, "authorization");
        if (!header || header->empty()) return missing("missing Authorization header");
        const std::size_t space = header->find_first_of(" \t");
        if (!equalsIgnoreCase(header->substr(0, space), "Basic"))
            return invalid("Authorization scheme is not Basic");
        std::string_view token =
            space == std::string_view::npos ? std::string_view() : header->substr(space);
        while (!token.empty() && (token.front() == ' ' || token.front() == '\t'))
            token.remove_prefix(1);

        auto decoded = decodeBase64(token);
        if (!decoded) return invalid("malformed Basic credentials");
        const std::size_t colon = decoded->find(':');
        if (colon == std::string::npos) {
            wipe(*decoded);
            return invalid("malformed Basic credentials");
        }
        auto username = sha256(std::string_view(*decoded).substr(0, colon));
        auto password = sha256(std::string_view(*decoded).substr(colon + 1));
        wipe(*decoded);
        if (!username || !password)
            return Verdict::reject(Verdict::Failure::internalError,
                                   "the credentials could not be checked");

        // Every pair is compared, and an unknown user fails exactly like a wrong password:
        // neither the answer nor its timing says which usernames exist.
        bool matched = false;
        for (const auto& user : users_)
            matched = matched | (constantTimeEqual(*username, user.username) &
                                 constantTimeEqual(*password, user.password));
        return matched ? Verdict::accept() : invalid("invalid username or password");
    }

    std::vector<UserDigest> users_;
};

}  // namespace

std::unique_ptr<const Verifier> makeBasicAuthVerifier(std::vector<BasicUser> users) {
    return std::make_unique<BasicAuthVerifier>(std::move(users));
}

}  // namespace flowgate::auth
