// RequestParser: strict framing, one complete request at a time.
#include <catch2/catch.hpp>

#include <string>

#include "http/request_parser.hpp"

using flowgate::http::ParseLimits;
using flowgate::http::Request;
using flowgate::http::RequestParser;
using State = RequestParser::State;

namespace {

// Feeds `text` in one piece; returns the bytes taken.
std::size_t feed(RequestParser& parser, const std::string& text) {
    return parser.feed(text.data(), text.size());
}

// The status and code a request alone is refused with, or {0, ""} if it parses.
std::pair<int, std::string> refusal(const std::string& text, ParseLimits limits = {}) {
    RequestParser parser(limits);
    feed(parser, text);
    if (parser.state() != State::failed) return {0, ""};
    return {parser.error().status, parser.error().code};
}

}  // namespace

TEST_CASE("a complete request comes out whole, with lower-cased headers", "[http][parser]") {
    RequestParser parser(ParseLimits{});
    const std::string text =
        "POST /hook/a?x=1 HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
        "X-Two: 1\r\nx-two: 2 \r\nContent-Length: 7\r\n\r\n{\"a\":1}";
    REQUIRE(feed(parser, text) == text.size());
    REQUIRE(parser.state() == State::complete);
    bool keepAlive = false;
    const Request request = parser.take(keepAlive);
    CHECK(keepAlive);
    CHECK(request.method == "POST");
    CHECK(request.target == "/hook/a?x=1");
    CHECK(request.path() == "/hook/a");
    CHECK(request.query() == "x=1");
    CHECK(request.header("content-type") == "application/json");
    CHECK(request.header("x-two") == "1, 2");
    CHECK(request.body == "{\"a\":1}");
    CHECK(parser.state() == State::incomplete);
    CHECK_FALSE(parser.started());
}

TEST_CASE("a request arriving byte by byte completes only with its last byte", "[http][parser]") {
    RequestParser parser(ParseLimits{});
    const std::string text =
        "POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
    for (std::size_t i = 0; i + 1 < text.size(); ++i) {
        REQUIRE(parser.feed(&text[i], 1) == 1);
        REQUIRE(parser.state() == State::incomplete);
        CHECK(parser.started());
    }
    parser.feed(&text.back(), 1);
    REQUIRE(parser.state() == State::complete);
    bool keepAlive = false;
    CHECK(parser.take(keepAlive).body == "abc");
}

TEST_CASE("pipelined requests come out one at a time, in order", "[http][parser]") {
    RequestParser parser(ParseLimits{});
    const std::string first = "POST /1 HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\na";
    const std::string second = "GET /2 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
    const std::string both = first + second;
    const std::size_t used = feed(parser, both);
    CHECK(used == first.size());
    REQUIRE(parser.state() == State::complete);
    bool keepAlive = false;
    CHECK(parser.take(keepAlive).target == "/1");
    CHECK(keepAlive);
    CHECK(parser.feed(both.data() + used, both.size() - used) == second.size());
    REQUIRE(parser.state() == State::complete);
    CHECK(parser.take(keepAlive).target == "/2");
    CHECK_FALSE(keepAlive);
}

TEST_CASE("ambiguous framing is refused", "[http][parser]") {
    // Content-Length with Transfer-Encoding (RFC 9112 §6.3), two lengths, bad lengths.
    CHECK(refusal("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
              .first == 400);
    CHECK(refusal("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
                  "Content-Length: 3\r\n\r\n")
              .first == 400);
    CHECK(
        refusal("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd")
            .first == 400);
    CHECK(refusal("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n") ==
          std::pair<int, std::string>{400, "invalid_content_length"});
    CHECK(refusal("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n") ==
          std::pair<int, std::string>{400, "invalid_content_length"});
    CHECK(refusal("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1x\r\n\r\n").first == 400);
    CHECK(refusal("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "-1\r\nabc\r\n0\r\n\r\n") ==
          std::pair<int, std::string>{400, "invalid_chunk_size"});
    CHECK(refusal("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "zz\r\nabc\r\n0\r\n\r\n") ==
          std::pair<int, std::string>{400, "invalid_chunk_size"});
    CHECK(refusal("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n").first == 400);
}

TEST_CASE("malformed header lines are refused", "[http][parser]") {
    CHECK(refusal("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : chunked\r\n\r\n").first ==
          400);
    CHECK(refusal("POST / HTTP/1.1\r\nHost: h\r\nNo colon here\r\n\r\n").first == 400);
    // obs-fold (RFC 9112 §5.2: a server MUST reject it or replace it; we reject).
    CHECK(refusal("POST / HTTP/1.1\r\nHost: h\r\nX-A: one\r\n two\r\nContent-Length: 0\r\n\r\n")
              .first == 400);
    CHECK(refusal("POST / HTTP/1.1\r\nHost: h\r\nX-A: one\r\n\ttwo\r\nContent-Length: 0\r\n\r\n")
              .first == 400);
    CHECK(refusal("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n") ==
          std::pair<int, std::string>{400, "bad_host"});
    CHECK(refusal("POST / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").first == 400);
    CHECK(refusal("POST http://evil/ HTTP/1.1\r\nHost: h\r\n\r\n").first == 400);
    CHECK(refusal("CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n").first == 400);
}

TEST_CASE("versions other than HTTP/1.0 and 1.1 are refused with 505", "[http][parser]") {
    CHECK(refusal("POST / HTTP/9.9\r\nHost: h\r\n\r\n").first == 505);
    CHECK(refusal("POST / HTTP/1.2\r\nHost: h\r\n\r\n").first == 505);
    CHECK(refusal("POST / HTTP/2.0\r\nHost: h\r\n\r\n").first == 505);
    CHECK(refusal("GET / HTTP/1.0\r\n\r\n").first == 0);  // 1.0 needs no Host
}

TEST_CASE("header and body limits", "[http][parser]") {
    ParseLimits limits;
    limits.maxHeaderBytes = 1024;
    limits.maxHeaderFields = 10;
    limits.maxBodyBytes = 10;
    CHECK(refusal("GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(2000, 'a') + "\r\n\r\n",
                  limits) == std::pair<int, std::string>{400, "headers_too_large"});
    std::string many = "GET / HTTP/1.1\r\nHost: h\r\n";
    for (int i = 0; i < 11; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
    CHECK(refusal(many + "\r\n", limits) == std::pair<int, std::string>{400, "too_many_headers"});
    CHECK(refusal("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n", limits) ==
          std::pair<int, std::string>{413, "body_too_large"});
    CHECK(refusal("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "6\r\nabcdef\r\n6\r\nabcdef\r\n0\r\n\r\n",
                  limits) == std::pair<int, std::string>{413, "body_too_large"});
    CHECK(refusal("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789", limits)
              .first == 0);
}

TEST_CASE("a body cut short is never complete", "[http][parser]") {
    RequestParser parser(ParseLimits{});
    feed(parser, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n{\"amount\":\"10\"}");
    CHECK(parser.state() == State::incomplete);
    CHECK(parser.started());
    CHECK(parser.headersComplete());
}

TEST_CASE("Expect: 100-continue is reported once", "[http][parser]") {
    RequestParser parser(ParseLimits{});
    feed(parser, "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
    CHECK(parser.takeContinueRequest());
    CHECK_FALSE(parser.takeContinueRequest());
    feed(parser, "{}");
    CHECK(parser.state() == State::complete);
}
