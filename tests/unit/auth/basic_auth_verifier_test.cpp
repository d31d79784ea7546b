// HTTP Basic: right pairs pass; everything else is one 401 with the challenge header, and
// an unknown user reads exactly like a wrong password.
#include "flowgate/common/byte_encoding.hpp"
#include "unit/auth/auth_test_support.hpp"

using namespace flowgate;
using namespace flowgate::test;
using Failure = auth::Verdict::Failure;

namespace {

const nlohmann::json kCredential = {{"id", "ops"},
                                    {"type", "basic"},
                                    {"users",
                                     {{{"username", "ops"}, {"password", "correct horse"}},
                                      {{"username", "ci"}, {"password", "p:a:s:s"}},
                                      {{"username", "ops"}, {"password", "next-password"}}}}};

Request withAuthorization(const std::string& value) {
    Request r;
    r.headers["authorization"] = value;
    return r;
}

Request basic(const std::string& userColonPassword) {
    return withAuthorization("Basic " + flowgate::common::encodeBase64(userColonPassword));
}

void requireChallenge(const auth::Verdict& verdict) {
    CHECK_FALSE(verdict.accepted);
    REQUIRE(verdict.responseHeaders.size() == 1);
    CHECK(verdict.responseHeaders[0].first == "WWW-Authenticate");
    CHECK(verdict.responseHeaders[0].second == R"(Basic realm="flowgate", charset="UTF-8")");
    requireNoSecret(verdict.reason, {"correct horse", "p:a:s:s", "next-password"});
}

}  // namespace

TEST_CASE("basic: every configured pair is let in", "[auth]") {
    auto verifier = verifierFor(kCredential);
    for (const char* pair : {"ops:correct horse", "ci:p:a:s:s", "ops:next-password"}) {
        INFO(pair);
        const auto verdict = verify(*verifier, basic(pair));
        CHECK(verdict.accepted);
        CHECK(verdict.responseHeaders.empty());
    }
    // The scheme name is case-insensitive (RFC 9110); extra blanks before the token are fine.
    CHECK(verify(*verifier, withAuthorization("basic   " + flowgate::common::encodeBase64("ops:correct horse")))
              .accepted);
}

TEST_CASE("basic: wrong password and unknown user are the same refusal", "[auth]") {
    auto verifier = verifierFor(kCredential);
    const auto wrongPassword = verify(*verifier, basic("ops:correct horsE"));
    const auto unknownUser = verify(*verifier, basic("root:correct horse"));
    const auto crossedPair = verify(*verifier, basic("ci:correct horse"));
    for (const auto& verdict : {wrongPassword, unknownUser, crossedPair}) {
        requireChallenge(verdict);
        CHECK(verdict.failure == Failure::invalidCredentials);
        CHECK(verdict.reason == "invalid username or password");
    }
    requireChallenge(verify(*verifier, basic("ops:")));
    requireChallenge(verify(*verifier, basic(":correct horse")));
}

TEST_CASE("basic: missing, malformed and non-Basic headers are refused with the challenge",
          "[auth]") {
    auto verifier = verifierFor(kCredential);

    const auto none = verify(*verifier, Request{});
    requireChallenge(none);
    CHECK(none.failure == Failure::missingCredentials);
    CHECK(none.reason == "missing Authorization header");

    for (const std::string& value : {std::string("Basic"), std::string("Basic !!!!"),
                                     "Basic " + flowgate::common::encodeBase64("no-colon"),
                                     std::string("Basic b3BzOmNvcnJlY3QgaG9yc2U=extra")}) {
        INFO(value);
        const auto verdict = verify(*verifier, withAuthorization(value));
        requireChallenge(verdict);
        CHECK(verdict.reason == "malformed Basic credentials");
    }

    for (const std::string& value :
         {std::string("Bearer abc.def.ghi"), "Digest " + flowgate::common::encodeBase64("ops:correct horse"),
          std::string("Basicb3BzOmNvcnJlY3QgaG9yc2U=")}) {
        INFO(value);
        const auto verdict = verify(*verifier, withAuthorization(value));
        requireChallenge(verdict);
        CHECK(verdict.reason == "Authorization scheme is not Basic");
    }
}

TEST_CASE("basic: the Authorization header is the secret one", "[auth]") {
    auto verifier = verifierFor(kCredential);
    CHECK(verifier->secretFields().headers == std::vector<std::string>{"authorization"});
    CHECK(verifier->secretFields().queryParameters.empty());
    CHECK(auth::secretHeaders(credential(kCredential)) ==
          std::vector<std::string>{"authorization"});
}
