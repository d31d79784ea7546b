// HTTPS through the outbound client against a local Poco SecureServerSocket with the
// test certificates of tests/data/tls.
#include <catch2/catch.hpp>

#include "flowgate/outbound_http/outbound_http.hpp"
#include "support/local_http_server.hpp"

using namespace flowgate::net;
using flowgate::test::echoHandler;
using flowgate::test::LocalHttpServer;
using flowgate::test::testCaFile;
using flowgate::test::testServerTls;
using flowgate::test::testWrongNameTls;
using Kind = OutboundError::Kind;

namespace {

OutboundPolicy loopback() {
    OutboundPolicy policy;
    policy.allowPrivateAddresses = true;
    policy.timeout = std::chrono::seconds(10);
    return policy;
}

Kind failureOf(const std::string& url, const OutboundPolicy& policy,
               std::string* message = nullptr) {
    try {
        auto response = send({"GET", url, {{"Authorization", "Bearer never-sent"}}, ""}, policy);
        FAIL("answered " << response.status);
    } catch (const OutboundError& e) {
        if (message) *message = e.what();
        return e.kind();
    }
    return Kind::protocol;
}

}  // namespace

TEST_CASE("HTTPS: a certificate of an unknown CA is refused by default", "[outbound]") {
    const auto tls = testServerTls();
    LocalHttpServer server(echoHandler(), "127.0.0.1", &tls);
    std::string message;
    CHECK(failureOf(server.url("/"), loopback(), &message) == Kind::tls);
    CHECK_THAT(message, Catch::Contains("certificate verify failed"));
    CHECK_THAT(message, !Catch::Contains("never-sent"));
    CHECK(server.requests().empty());
}

TEST_CASE("HTTPS: caFile makes the test CA trusted", "[outbound]") {
    const auto tls = testServerTls();
    LocalHttpServer server(echoHandler(), "127.0.0.1", &tls);
    OutboundPolicy policy = loopback();
    policy.caFile = testCaFile();
    auto byAddress = send({"GET", server.url("/a"), {}, ""}, policy);
    CHECK(byAddress.status == 200);
    auto byName =
        send({"GET", "https://localhost:" + std::to_string(server.port()) + "/b", {}, ""}, policy);
    CHECK(byName.status == 200);
    CHECK(nlohmann::json::parse(byName.body)["headers"]["host"] ==
          "localhost:" + std::to_string(server.port()));
    CHECK(server.requests().size() == 2);
}

TEST_CASE("HTTPS: a certificate for another name is refused, even from a trusted CA",
          "[outbound]") {
    const auto tls = testWrongNameTls();
    LocalHttpServer server(echoHandler(), "127.0.0.1", &tls);
    OutboundPolicy policy = loopback();
    policy.caFile = testCaFile();
    std::string byAddress, byName;
    CHECK(failureOf(server.url("/"), policy, &byAddress) == Kind::tls);
    CHECK(failureOf("https://localhost:" + std::to_string(server.port()) + "/", policy, &byName) ==
          Kind::tls);
    // The chain is fine; the name check (against the URL's host, even for loopback) fails.
    CHECK_THAT(byAddress, Catch::Contains("Unacceptable certificate from 127.0.0.1"));
    CHECK_THAT(byName, Catch::Contains("Unacceptable certificate from localhost"));
    CHECK(server.requests().empty());

    SECTION("verifyTls false accepts it") {
        policy.verifyTls = false;
        policy.caFile.clear();
        CHECK(send({"GET", server.url("/"), {}, ""}, policy).status == 200);
    }
}

TEST_CASE("HTTPS: a caFile that cannot be loaded fails as tls", "[outbound]") {
    OutboundPolicy policy = loopback();
    policy.caFile = "/nonexistent/ca.pem";
    CHECK(failureOf("https://127.0.0.1:1/", policy) == Kind::tls);
}
