// The outbound client against real local HTTP servers on loopback.
#include <atomic>
#include <chrono>
#include <thread>

#include <Poco/Net/StreamSocket.h>

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <catch2/catch.hpp>

#include "flowgate/outbound_http/outbound_http.hpp"
#include "support/local_http_server.hpp"

using namespace flowgate::net;
using flowgate::test::echoHandler;
using flowgate::test::LocalHttpServer;
using flowgate::test::SeenRequest;
using Kind = OutboundError::Kind;
using nlohmann::json;

namespace {

OutboundPolicy loopbackOnly() {
    OutboundPolicy policy;
    policy.allowAddresses = {"127.0.0.1/32"};
    policy.timeout = std::chrono::seconds(10);
    return policy;
}

// The kind of the OutboundError `send` throws; fails the test if it answers.
Kind failureOf(const OutboundRequest& request, const OutboundPolicy& policy,
               std::string* message = nullptr) {
    try {
        auto response = send(request, policy);
        FAIL("answered " << response.status << " for " << request.url);
    } catch (const OutboundError& e) {
        if (message) *message = e.what();
        return e.kind();
    }
    return Kind::protocol;
}

// Redirects every path but /end to `location` with `status`; /end echoes.
LocalHttpServer::Handler redirectingTo(std::string location, int status) {
    auto echo = echoHandler();
    return [location, status, echo](const SeenRequest& seen, Poco::Net::HTTPServerRequest& request,
                                    Poco::Net::HTTPServerResponse& response) {
        if (seen.uri == "/end") return echo(seen, request, response);
        response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
        response.set("Location", location);
        response.setContentLength(0);
        response.send();
    };
}

// Refusals must happen before any connection: let a stray connect reach the server.
void settle() {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
}

}  // namespace

TEST_CASE("GET and POST with headers and a JSON body reach the server", "[outbound]") {
    LocalHttpServer server(echoHandler());

    auto got = send({"GET", server.url("/items?page=2"), {{"X-Trace", "abc"}}, ""}, loopbackOnly());
    CHECK(got.status == 200);
    CHECK(got.reason == "OK");
    CHECK(got.header("content-type") == "application/json");
    CHECK(got.finalUrl == server.url("/items?page=2"));
    auto echo = json::parse(got.body);
    CHECK(echo["method"] == "GET");
    CHECK(echo["uri"] == "/items?page=2");
    CHECK(echo["headers"]["x-trace"] == "abc");
    CHECK(echo["headers"]["host"] == "127.0.0.1:" + std::to_string(server.port()));
    CHECK(echo["headers"]["connection"] == "Close");

    const std::string payload = R"({"id":7,"name":"é"})";
    auto posted =
        send({"post", server.url("/orders"), {{"Content-Type", "application/json"}}, payload},
             loopbackOnly());
    echo = json::parse(posted.body);
    CHECK(echo["method"] == "POST");
    CHECK(echo["body"] == json{{"id", 7}, {"name", "é"}});
    CHECK(echo["headers"]["content-type"] == "application/json");
    CHECK(echo["headers"]["content-length"] == std::to_string(payload.size()));
    CHECK(server.requests().size() == 2);
}

TEST_CASE("framing headers from the caller are ignored, bad ones refused", "[outbound]") {
    LocalHttpServer server(echoHandler());
    auto got = send(
        {"POST",
         server.url("/"),
         {{"Host", "evil.example"}, {"Content-Length", "999"}, {"Transfer-Encoding", "chunked"}},
         "{}"},
        loopbackOnly());
    auto echo = json::parse(got.body);
    CHECK(echo["headers"]["host"] == "127.0.0.1:" + std::to_string(server.port()));
    CHECK(echo["headers"]["content-length"] == "2");
    CHECK_FALSE(echo["headers"].contains("transfer-encoding"));

    std::string message;
    CHECK(failureOf({"GET", server.url("/"), {{"X-A", "secret\r\nX-Injected: 1"}}, ""},
                    loopbackOnly(), &message) == Kind::protocol);
    CHECK_THAT(message, !Catch::Contains("secret"));
}

TEST_CASE("a server that never answers times out", "[outbound]") {
    // Listening but never accepting: the kernel completes the connection, nobody reads.
    Poco::Net::ServerSocket silent(Poco::Net::SocketAddress("127.0.0.1", 0), 4);
    OutboundPolicy policy = loopbackOnly();
    policy.timeout = std::chrono::milliseconds(300);
    const auto start = std::chrono::steady_clock::now();
    std::string message;
    CHECK(failureOf(
              {"GET",
               "http://127.0.0.1:" + std::to_string(silent.address().port()) + "/slow?token=s3cr3t",
               {},
               ""},
              policy, &message) == Kind::timeout);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
    CHECK_THAT(message, Catch::Contains("127.0.0.1"));
    CHECK_THAT(message, !Catch::Contains("/slow"));  // paths and queries carry tokens
    CHECK_THAT(message, !Catch::Contains("s3cr3t"));
}

TEST_CASE("a closed port fails to connect", "[outbound]") {
    int port = 0;
    {
        Poco::Net::ServerSocket probe(Poco::Net::SocketAddress("127.0.0.1", 0), 1);
        port = probe.address().port();
    }
    CHECK(failureOf({"GET", "http://127.0.0.1:" + std::to_string(port) + "/", {}, ""},
                    loopbackOnly()) == Kind::connect);
}

TEST_CASE("responses over the size limit are refused", "[outbound]") {
    LocalHttpServer server([](const SeenRequest& seen, Poco::Net::HTTPServerRequest&,
                              Poco::Net::HTTPServerResponse& response) {
        if (seen.uri == "/chunked") response.setChunkedTransferEncoding(true);
        response.send() << std::string(2000, 'x');
    });
    OutboundPolicy policy = loopbackOnly();
    policy.maxResponseBytes = 1000;
    CHECK(failureOf({"GET", server.url("/fixed"), {}, ""}, policy) == Kind::tooLarge);
    CHECK(failureOf({"GET", server.url("/chunked"), {}, ""}, policy) == Kind::tooLarge);
    policy.maxResponseBytes = 2000;
    CHECK(send({"GET", server.url("/chunked"), {}, ""}, policy).body.size() == 2000);
}

TEST_CASE("redirects are followed, 302 after POST becomes GET, 307 keeps the body", "[outbound]") {
    SECTION("302") {
        LocalHttpServer server(redirectingTo("/end", 302));
        auto got = send(
            {"POST", server.url("/start"), {{"Content-Type", "application/json"}}, "{\"a\":1}"},
            loopbackOnly());
        CHECK(got.status == 200);
        CHECK(got.finalUrl == server.url("/end"));
        auto echo = json::parse(got.body);
        CHECK(echo["method"] == "GET");
        CHECK(echo["body"] == "");
        CHECK_FALSE(echo["headers"].contains("content-type"));
    }
    SECTION("307") {
        LocalHttpServer server(redirectingTo("/end", 307));
        auto got = send({"POST", server.url("/start"), {}, "{\"a\":1}"}, loopbackOnly());
        auto echo = json::parse(got.body);
        CHECK(echo["method"] == "POST");
        CHECK(echo["body"] == json{{"a", 1}});
    }
    SECTION("maxRedirects 0 returns the 3xx") {
        LocalHttpServer server(redirectingTo("/end", 301));
        OutboundPolicy policy = loopbackOnly();
        policy.maxRedirects = 0;
        auto got = send({"GET", server.url("/start"), {}, ""}, policy);
        CHECK(got.status == 301);
        CHECK(got.header("location") == "/end");
    }
    SECTION("a redirect loop stops") {
        LocalHttpServer server(redirectingTo("/again", 302));
        std::string message;
        CHECK(failureOf({"GET", server.url("/start"), {}, ""}, loopbackOnly(), &message) ==
              Kind::protocol);
        CHECK_THAT(message, Catch::Contains("more than 5 redirects"));
        CHECK(server.requests().size() == 6);
    }
}

TEST_CASE("a redirect to a refused address is refused before connecting", "[outbound]") {
    LocalHttpServer target(echoHandler(), "127.0.0.2");
    LocalHttpServer server(redirectingTo(target.url("/end"), 302));
    std::string message;
    CHECK(failureOf({"GET", server.url("/start"), {}, ""}, loopbackOnly(), &message) ==
          Kind::refusedAddress);
    CHECK_THAT(message, Catch::Contains("127.0.0.2"));
    settle();
    CHECK(target.connections() == 0);
    CHECK(target.requests().empty());
}

TEST_CASE("a redirect to another origin drops credentials", "[outbound]") {
    LocalHttpServer target(echoHandler(), "127.0.0.2");
    LocalHttpServer server(redirectingTo(target.url("/end"), 307));
    OutboundPolicy policy = loopbackOnly();
    policy.allowAddresses = {"127.0.0.0/8"};
    OutboundRequest request{"GET",
                            server.url("/start"),
                            {{"Authorization", "Bearer t0ken"},
                             {"X-Api-Key", "k3y"},
                             {"Cookie", "s=1"},
                             {"X-Keep", "yes"}},
                            ""};
    policy.secretHeaders = {"x-api-key"};
    auto got = send(request, policy);
    auto headers = json::parse(got.body)["headers"];
    CHECK(headers["x-keep"] == "yes");
    CHECK_FALSE(headers.contains("authorization"));
    CHECK_FALSE(headers.contains("x-api-key"));
    CHECK_FALSE(headers.contains("cookie"));
    // The first hop, on the original origin, had them.
    REQUIRE(server.requests().size() == 1);
    CHECK(server.requests()[0].headers.at("authorization") == "Bearer t0ken");
}

TEST_CASE("internal addresses are refused without a connection", "[outbound]") {
    LocalHttpServer server(echoHandler());
    const std::string port = std::to_string(server.port());
    OutboundPolicy closed;  // the defaults: nothing internal allowed
    closed.timeout = std::chrono::seconds(5);
    for (const std::string& url : std::vector<std::string>{
             "http://127.0.0.1:" + port + "/", "http://localhost:" + port + "/",
             "http://[::ffff:127.0.0.1]:" + port + "/", "http://[::1]:" + port + "/",
             "http://127.1:" + port + "/", "http://2130706433:" + port + "/", "http://10.0.0.1/",
             "http://169.254.169.254/latest/meta-data/", "http://0.0.0.0:" + port + "/",
             "https://[fd00::1]/"}) {
        INFO(url);
        std::string message;
        CHECK(failureOf({"GET", url, {}, ""}, closed, &message) == Kind::refusedAddress);
        CHECK_THAT(message, Catch::Contains("network.allowAddresses"));
    }
    settle();
    CHECK(server.connections() == 0);
    CHECK(server.requests().empty());

    SECTION("allowAddresses opens exactly the listed range") {
        OutboundPolicy policy = closed;
        policy.allowAddresses = {"127.0.0.1/32"};
        CHECK(send({"GET", server.url("/"), {}, ""}, policy).status == 200);
        CHECK(send({"GET", "http://[::ffff:127.0.0.1]:" + port + "/", {}, ""}, policy).status ==
              200);
        CHECK(failureOf({"GET", "http://10.0.0.1/", {}, ""}, policy) == Kind::refusedAddress);
    }
    SECTION("allowPrivateAddresses opens them all") {
        OutboundPolicy policy = closed;
        policy.allowPrivateAddresses = true;
        CHECK(send({"GET", "http://localhost:" + port + "/", {}, ""}, policy).status == 200);
    }
}

TEST_CASE("a name that does not resolve fails as resolve", "[outbound]") {
    CHECK(failureOf({"GET", "http://does-not-exist.invalid/", {}, ""}, OutboundPolicy{}) ==
          Kind::resolve);
}

TEST_CASE("HEAD and 204 answers have no body, whatever Content-Length says", "[outbound]") {
    LocalHttpServer server([](const SeenRequest& seen, Poco::Net::HTTPServerRequest&,
                              Poco::Net::HTTPServerResponse& response) {
        if (seen.uri == "/gone") {
            response.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_NO_CONTENT);
            response.send();
            return;
        }
        // Poco sends the headers of a HEAD answer only: Content-Length 11, no body.
        response.setContentType("text/plain");
        response.sendBuffer("hello world", 11);
    });
    const auto head = send({"HEAD", server.url("/file"), {}, ""}, loopbackOnly());
    CHECK(head.status == 200);
    CHECK(head.header("content-length") == "11");
    CHECK(head.body.empty());
    const auto gone = send({"DELETE", server.url("/gone"), {}, ""}, loopbackOnly());
    CHECK(gone.status == 204);
    CHECK(gone.body.empty());
}

TEST_CASE("a server that drips its answer is cut off at the whole-exchange timeout",
          "[outbound]") {
    // Each byte comes well within the per-read timeout, so only a deadline on the whole
    // exchange can stop it.
    Poco::Net::ServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0), 4);
    std::atomic<bool> stop{false};
    std::thread dripper([&] {
        try {
            Poco::Net::StreamSocket client = listener.acceptConnection();
            char buffer[4096];
            client.receiveBytes(buffer, sizeof buffer);  // the request
            client.sendBytes("HTTP/1.1 200 OK\r\nX-Slow: ", 25);
            for (int i = 0; i < 100 && !stop; ++i) {
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
                client.sendBytes("a", 1);
            }
        } catch (const Poco::Exception&) {
            // the client hung up: what the deadline should do
        }
    });
    OutboundPolicy policy = loopbackOnly();
    policy.timeout = std::chrono::milliseconds(800);
    const auto start = std::chrono::steady_clock::now();
    const Kind kind = failureOf(
        {"GET", "http://127.0.0.1:" + std::to_string(listener.address().port()) + "/", {}, ""},
        policy);
    const auto took = std::chrono::steady_clock::now() - start;
    stop = true;
    dripper.join();
    CHECK(kind == Kind::timeout);
    CHECK(took < std::chrono::seconds(3));  // without the deadline: the whole 10 s drip
}
