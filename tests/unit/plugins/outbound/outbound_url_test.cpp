// URL handling of the outbound client: what it accepts, how redirects resolve.
#include <catch2/catch.hpp>

#include "flowgate/outbound_http/outbound_http.hpp"
#include "flowgate/outbound_http/outbound_url.hpp"

using flowgate::net::OutboundError;
using flowgate::net::parseOutboundUrl;
using flowgate::net::resolveRedirect;

namespace {

OutboundError::Kind kindOf(const std::string& url) {
    try {
        parseOutboundUrl(url);
    } catch (const OutboundError& e) {
        return e.kind();
    }
    FAIL("accepted " << url);
    return OutboundError::Kind::protocol;
}

}  // namespace

TEST_CASE("outbound URLs: host, port, target and origin", "[outbound]") {
    auto url = parseOutboundUrl("https://API.Example.com/v1/items?page=2#top");
    CHECK(url.https);
    CHECK(url.host == "api.example.com");
    CHECK(url.port == 443);
    CHECK(url.target == "/v1/items?page=2");
    CHECK(url.authority() == "api.example.com");
    CHECK(url.redacted() == "https://api.example.com");

    auto plain = parseOutboundUrl("http://example.com:8080");
    CHECK_FALSE(plain.https);
    CHECK(plain.port == 8080);
    CHECK(plain.target == "/");
    CHECK(plain.authority() == "example.com:8080");

    auto v6 = parseOutboundUrl("http://[::1]:9000/x");
    CHECK(v6.host == "::1");
    CHECK(v6.authority() == "[::1]:9000");
    CHECK(v6.text() == "http://[::1]:9000/x");

    CHECK(url.sameOrigin(parseOutboundUrl("https://api.example.com:443/other")));
    CHECK_FALSE(url.sameOrigin(parseOutboundUrl("http://api.example.com/v1")));
    CHECK_FALSE(url.sameOrigin(parseOutboundUrl("https://api.example.com:8443/v1")));
    CHECK_FALSE(url.sameOrigin(parseOutboundUrl("https://example.com/v1")));
}

TEST_CASE("outbound URLs that are refused, without repeating the URL", "[outbound]") {
    using Kind = OutboundError::Kind;
    for (const char* bad :
         {"", "ftp://example.com/", "file:///etc/passwd", "example.com/x", "http:///nohost",
          "http://user:secret@example.com/", "http://example.com/a b",
          "http://example.com/\r\nX: y", "http://example.com:0/"}) {
        INFO(bad);
        CHECK(kindOf(bad) == Kind::badUrl);
    }
    try {
        parseOutboundUrl("http://user:hunter2@example.com/");
    } catch (const OutboundError& e) {
        CHECK_THAT(e.what(), !Catch::Contains("hunter2"));
        CHECK_THAT(e.what(), Catch::Contains("user information"));
    }
}

TEST_CASE("redirect targets resolve against the current URL", "[outbound]") {
    auto base = parseOutboundUrl("https://a.example/dir/page?x=1");
    CHECK(resolveRedirect(base, "/root").text() == "https://a.example/root");
    CHECK(resolveRedirect(base, "next?y=2").text() == "https://a.example/dir/next?y=2");
    CHECK(resolveRedirect(base, "//b.example/p").text() == "https://b.example/p");
    CHECK(resolveRedirect(base, "http://c.example:81/").text() == "http://c.example:81/");
    CHECK_THROWS_AS(resolveRedirect(base, "ftp://c.example/"), OutboundError);
    CHECK_THROWS_AS(resolveRedirect(base, "gopher://c.example/"), OutboundError);
}
