// The http plugin's steps against real local servers: requests, outputs, failure policy,
// credentials, and the engine's address policy.
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <catch2/catch.hpp>

#include "support/local_http_server.hpp"
#include "flowgate/testkit.hpp"
#include "unit/plugins/plugin_under_test.hpp"

using flowgate::Message;
using flowgate::test::echoHandler;
using flowgate::test::LocalHttpServer;
using flowgate::test::SeenRequest;
using flowgate::testing::loadRealComponent;
using flowgate::testing::makeStep;
using flowgate::testkit::RecordingStepContext;
using nlohmann::json;

namespace {

Message order() {
    Message message;
    message.id = "m-1";
    message.body = {{"order", 42}};
    message.meta = {{"flow", "f"}, {"requestId", "r-1"}};
    return message;
}

RecordingStepContext loopbackContext() {
    RecordingStepContext context;
    context.setEngineSettings(
        {{"network", {{"allowPrivateAddresses", false}, {"allowAddresses", {"127.0.0.1/32"}}}}});
    return context;
}

// Answers `status` with `body` (JSON) and the extra headers.
LocalHttpServer::Handler answering(int status, std::string body,
                                   std::map<std::string, std::string> headers = {}) {
    return [=](const SeenRequest&, Poco::Net::HTTPServerRequest&,
               Poco::Net::HTTPServerResponse& response) {
        response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
        for (const auto& [name, value] : headers) response.set(name, value);
        response.setContentType("application/json");
        response.send() << body;
    };
}

}  // namespace

TEST_CASE("http request POSTs the message body and outputs the response", "[http-plugin]") {
    auto http = loadRealComponent("libflowgate-http.so", "http");
    LocalHttpServer server(echoHandler());
    auto step =
        makeStep(*http, "request",
                 {{"url", server.url("/orders?src=flowgate")}, {"headers", {{"X-Tenant", "t1"}}}});
    auto context = loopbackContext();

    const auto result = step->execute(order(), context);
    INFO(result.error);
    REQUIRE(result.ok);
    REQUIRE(context.emitted().size() == 1);
    const Message& out = context.emitted()[0].message;
    CHECK(out.id == "m-1");
    CHECK(out.meta == order().meta);
    CHECK(out.body["status"] == 200);
    CHECK(out.body["headers"]["content-type"] == "application/json");
    const json echo = out.body["body"];
    CHECK(echo["method"] == "POST");
    CHECK(echo["uri"] == "/orders?src=flowgate");
    CHECK(echo["body"] == json{{"order", 42}});
    CHECK(echo["headers"]["content-type"] == "application/json");
    CHECK(echo["headers"]["x-tenant"] == "t1");
}

TEST_CASE("http request: GET without body, fixed bodies, merge output, text bodies",
          "[http-plugin]") {
    auto http = loadRealComponent("libflowgate-http.so", "http");
    LocalHttpServer server(echoHandler());
    auto context = loopbackContext();

    SECTION("GET sends no body") {
        auto step = makeStep(*http, "request", {{"url", server.url("/")}, {"method", "GET"}});
        REQUIRE(step->execute(order(), context).ok);
        CHECK(context.emitted()[0].message.body["body"]["body"] == "");
        CHECK(server.requests()[0].method == "GET");
    }
    SECTION("a fixed JSON body") {
        auto step = makeStep(
            *http, "request",
            {{"url", server.url("/")}, {"method", "PATCH"}, {"body", {{"value", {{"x", true}}}}}});
        REQUIRE(step->execute(order(), context).ok);
        CHECK(context.emitted()[0].message.body["body"]["body"] == json{{"x", true}});
    }
    SECTION("merge adds the response to the message body") {
        auto step = makeStep(*http, "request", {{"url", server.url("/")}, {"output", "merge"}});
        REQUIRE(step->execute(order(), context).ok);
        const json body = context.emitted()[0].message.body;
        CHECK(body["order"] == 42);
        CHECK(body["response"]["status"] == 200);

        Message notObject = order();
        notObject.body = json::array({1});
        context.clear();
        const auto result = step->execute(notObject, context);
        CHECK_FALSE(result.ok);
        CHECK_THAT(result.error, Catch::Contains("merge"));
    }
    SECTION("text and binary responses") {
        LocalHttpServer text([](const SeenRequest& seen, Poco::Net::HTTPServerRequest&,
                                Poco::Net::HTTPServerResponse& response) {
            response.setContentType(seen.uri == "/bin" ? "application/octet-stream" : "text/plain");
            response.send() << (seen.uri == "/bin" ? std::string("\xff\xfe\x00\x01", 4)
                                                   : "plain words");
        });
        auto step = makeStep(*http, "request", {{"url", text.url("/txt")}, {"method", "GET"}});
        REQUIRE(step->execute(order(), context).ok);
        CHECK(context.emitted()[0].message.body["body"] == "plain words");
        auto binary = makeStep(*http, "request", {{"url", text.url("/bin")}, {"method", "GET"}});
        context.clear();
        REQUIRE(binary->execute(order(), context).ok);
        CHECK(context.emitted()[0].message.body["body"] == "//4AAQ==");
        CHECK(context.emitted()[0].message.body["bodyEncoding"] == "base64");
    }
}

TEST_CASE("http request failure policy: 5xx, 4xx, 429", "[http-plugin]") {
    auto http = loadRealComponent("libflowgate-http.so", "http");
    auto context = loopbackContext();

    SECTION("5xx fails the attempt, naming status and host, not path or query") {
        LocalHttpServer server(answering(503, "{}"));
        auto step = makeStep(*http, "request", {{"url", server.url("/x?key=s3cr3t")}});
        const auto result = step->execute(order(), context);
        CHECK_FALSE(result.ok);
        CHECK_THAT(result.error, Catch::Contains("HTTP 503") && Catch::Contains("127.0.0.1") &&
                                     !Catch::Contains("/x") && !Catch::Contains("s3cr3t"));
        CHECK_FALSE(result.permanent);  // retried with backoff
        CHECK(context.emitted().empty());
    }
    SECTION("4xx fails by default, or is the output with failOn4xx false") {
        LocalHttpServer server(answering(404, R"({"error":"nope"})"));
        auto strict = makeStep(*http, "request", {{"url", server.url("/")}});
        const flowgate::StepResult refused = strict->execute(order(), context);
        CHECK_THAT(refused.error, Catch::Contains("HTTP 404"));
        CHECK(refused.permanent);  // the same request is refused again: dead-lettered at once
        auto lenient = makeStep(*http, "request", {{"url", server.url("/")}, {"failOn4xx", false}});
        REQUIRE(lenient->execute(order(), context).ok);
        CHECK(context.emitted()[0].message.body["status"] == 404);
        CHECK(context.emitted()[0].message.body["body"] == json{{"error", "nope"}});
    }
    SECTION("429 with Retry-After asks to run again later") {
        LocalHttpServer server(answering(429, "{}", {{"Retry-After", "7"}}));
        auto step = makeStep(*http, "request", {{"url", server.url("/")}});
        REQUIRE(step->execute(order(), context).ok);
        REQUIRE(context.retries().size() == 1);
        CHECK(context.retries()[0].delay == std::chrono::seconds(7));
        CHECK_THAT(context.retries()[0].reason, Catch::Contains("HTTP 429"));
        CHECK(context.emitted().empty());
    }
    SECTION("429 without Retry-After fails the attempt") {
        LocalHttpServer server(answering(429, "{}"));
        auto step = makeStep(*http, "request", {{"url", server.url("/")}});
        CHECK_THAT(step->execute(order(), context).error, Catch::Contains("HTTP 429"));
        CHECK(context.retries().empty());
    }
}

TEST_CASE("http request refuses internal addresses the engine does not allow", "[http-plugin]") {
    auto http = loadRealComponent("libflowgate-http.so", "http");
    LocalHttpServer server(echoHandler());
    auto step = makeStep(*http, "request", {{"url", server.url("/")}});
    RecordingStepContext closed;  // engine defaults: nothing internal allowed
    const auto result = step->execute(order(), closed);
    CHECK_FALSE(result.ok);
    CHECK_THAT(result.error, Catch::Contains("refused") && Catch::Contains("127.0.0.1"));
    CHECK(server.connections() == 0);
    CHECK(server.requests().empty());
}

TEST_CASE("http authorizedRequest sends the credential and never reports it", "[http-plugin]") {
    auto http = loadRealComponent("libflowgate-http.so", "http");
    LocalHttpServer server(echoHandler());
    auto step = makeStep(*http, "authorizedRequest", {{"url", server.url("/")}});
    auto context = loopbackContext();

    context.setCredential({{"id", "c"},
                           {"type", "http-auth"},
                           {"scheme", "basic"},
                           {"username", "ops"},
                           {"password", "pa55"}});
    REQUIRE(step->execute(order(), context).ok);
    CHECK(server.requests().back().headers.at("authorization") == "Basic b3BzOnBhNTU=");

    context.setCredential({{"scheme", "bearer"}, {"token", "tok-123"}});
    REQUIRE(step->execute(order(), context).ok);
    CHECK(server.requests().back().headers.at("authorization") == "Bearer tok-123");

    context.setCredential({{"scheme", "header"}, {"name", "X-API-Key"}, {"value", "k-9"}});
    REQUIRE(step->execute(order(), context).ok);
    CHECK(server.requests().back().headers.at("x-api-key") == "k-9");

    context.setCredential({{"scheme", "bearer"}, {"token", "line\r\nbreak-secret"}});
    auto result = step->execute(order(), context);
    CHECK_FALSE(result.ok);
    CHECK_THAT(result.error, Catch::Contains("token") && !Catch::Contains("break-secret"));

    context.setCredential({{"scheme", "digest"}, {"password", "pw-secret"}});
    result = step->execute(order(), context);
    CHECK_FALSE(result.ok);
    CHECK_THAT(result.error, Catch::Contains("scheme") && !Catch::Contains("pw-secret"));

    // A failing call after authenticating never echoes the secret either.
    LocalHttpServer failing(answering(500, "{}"));
    auto failingStep = makeStep(*http, "authorizedRequest", {{"url", failing.url("/")}});
    context.setCredential({{"scheme", "bearer"}, {"token", "tok-secret"}});
    result = failingStep->execute(order(), context);
    CHECK_FALSE(result.ok);
    CHECK_THAT(result.error, !Catch::Contains("tok-secret"));
    for (const auto& line : context.logs()) CHECK_THAT(line.text, !Catch::Contains("tok-secret"));
}

TEST_CASE("http request times out against a server that never answers", "[http-plugin]") {
    auto http = loadRealComponent("libflowgate-http.so", "http");
    Poco::Net::ServerSocket silent(Poco::Net::SocketAddress("127.0.0.1", 0), 4);
    auto step =
        makeStep(*http, "request",
                 {{"url", "http://127.0.0.1:" + std::to_string(silent.address().port()) + "/"},
                  {"timeoutMs", 300}});
    auto context = loopbackContext();
    const auto start = std::chrono::steady_clock::now();
    const auto result = step->execute(order(), context);
    CHECK_FALSE(result.ok);
    CHECK_THAT(result.error, Catch::Contains("timed out"));
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
}
