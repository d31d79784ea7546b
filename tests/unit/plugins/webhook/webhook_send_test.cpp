// The real webhook plugin's `send` step against real local HTTP servers: each request's
// Standard Webhooks signature is checked by the test's own implementation.
#include <atomic>
#include <chrono>
#include <thread>

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/Timespan.h>
#include <Poco/Timestamp.h>
#include <catch2/catch.hpp>

#include "support/canned_response.hpp"
#include "support/local_http_server.hpp"
#include "flowgate/testkit.hpp"
#include "support/standard_webhooks_check.hpp"
#include "unit/plugins/plugin_under_test.hpp"

using namespace flowgate;
using flowgate::test::CannedResponse;
using flowgate::test::LocalHttpServer;
using flowgate::test::SeenRequest;
using flowgate::testing::loadRealComponent;
using flowgate::testkit::RecordingStepContext;
using nlohmann::json;

namespace {

const std::string kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const std::string kOtherSecret = "whsec_c2Vjb25kLXNlY3JldC1rZXk=";

json credential(std::vector<std::string> secrets) {
    return {{"id", "out"}, {"type", "hmac"}, {"preset", "standard-webhooks"}, {"secrets", secrets}};
}

RecordingStepContext contextFor(const std::vector<std::string>& secrets) {
    RecordingStepContext context;
    context.setCredential(credential(secrets)).setStepId("notify");
    context.setEngineSettings({{"network", {{"allowPrivateAddresses", true}}}});
    return context;
}

Message message() {
    Message m;
    m.id = "exec-1/shape/0";
    m.body = {{"order", 42}, {"note", "caf\xC3\xA9"}};
    m.meta = {{"flow", "orders"}};
    return m;
}

// Answers 401 to a request whose signature does not check out, else the next scripted
// answer (200 once the script is used up).
struct Receiver {
    std::vector<CannedResponse> script;
    std::atomic<std::size_t> next{0};
    LocalHttpServer server{[this](const SeenRequest& seen, Poco::Net::HTTPServerRequest&,
                                  Poco::Net::HTTPServerResponse& response) {
        if (!test::standardWebhooksProblem(seen, kSecret).empty())
            return test::sendCanned(response, {401, {}, R"({"error":"bad signature"})"});
        const std::size_t i = next++;
        test::sendCanned(response, i < script.size() ? script[i] : CannedResponse{200, {}, "{}"});
    }};
};

std::string header(const SeenRequest& request, const std::string& name) {
    return request.headers.count(name) ? request.headers.at(name) : std::string();
}

}  // namespace

TEST_CASE("webhook send delivers a signed body and passes the message on", "[plugins][webhook]") {
    auto component = loadRealComponent("libflowgate-webhook.so", "webhook");
    Receiver receiver;
    auto step = testing::makeStep(
        *component, "send",
        {{"url", receiver.server.url("/in?k=v")}, {"headers", {{"X-Source", "flowgate"}}}});
    auto context = contextFor({kSecret});
    const Message input = message();

    const StepResult result = step->execute(input, context);

    INFO(result.error);
    REQUIRE(result.ok);
    const auto requests = receiver.server.requests();
    REQUIRE(requests.size() == 1);
    const SeenRequest& seen = requests.front();
    CHECK(test::standardWebhooksProblem(seen, kSecret).empty());
    CHECK(seen.method == "POST");
    CHECK(seen.uri == "/in?k=v");
    CHECK(json::parse(seen.body) == input.body);
    CHECK(header(seen, "content-type") == "application/json");
    CHECK(header(seen, "x-source") == "flowgate");
    CHECK(header(seen, "webhook-id") == "exec-1/shape/0/notify");
    REQUIRE(context.emitted().size() == 1);
    CHECK(json(context.emitted().front().message) == json(input));
    CHECK(context.emitted().front().forwarded);
    CHECK(context.retries().empty());
}

TEST_CASE("webhook send: a 503 fails the attempt and the retry re-sends the same id",
          "[plugins][webhook]") {
    auto component = loadRealComponent("libflowgate-webhook.so", "webhook");
    Receiver receiver;
    receiver.script = {{503, {}, R"({"error":"busy"})"}};
    auto step = testing::makeStep(*component, "send", {{"url", receiver.server.url("/in")}});
    auto context = contextFor({kSecret});

    const StepResult first = step->execute(message(), context);
    CHECK_FALSE(first.ok);
    CHECK_THAT(first.error, Catch::Contains("answered 503"));
    CHECK(context.emitted().empty());

    context.clear();
    context.setAttempt(2);
    const StepResult second = step->execute(message(), context);
    INFO(second.error);
    CHECK(second.ok);
    CHECK(context.emitted().size() == 1);

    const auto requests = receiver.server.requests();
    REQUIRE(requests.size() == 2);
    CHECK(header(requests[0], "webhook-id") == header(requests[1], "webhook-id"));
    for (const auto& seen : requests) CHECK(test::standardWebhooksProblem(seen, kSecret).empty());
}

TEST_CASE("webhook send: a 429 retries later per Retry-After", "[plugins][webhook]") {
    auto component = loadRealComponent("libflowgate-webhook.so", "webhook");
    struct Case {
        std::string retryAfter;
        std::chrono::milliseconds expected;
    };
    const auto inTenSeconds = Poco::DateTimeFormatter::format(
        Poco::Timestamp() + 10 * Poco::Timespan::SECONDS, Poco::DateTimeFormat::HTTP_FORMAT);
    for (const auto& c :
         {Case{"7", std::chrono::seconds(7)}, Case{"garbage", std::chrono::seconds(60)},
          Case{"999999", std::chrono::seconds(3600)}, Case{"0", std::chrono::seconds(1)}}) {
        INFO("Retry-After: " << c.retryAfter);
        Receiver receiver;
        receiver.script = {{429, {{"Retry-After", c.retryAfter}}, "{}"}};
        auto step = testing::makeStep(*component, "send", {{"url", receiver.server.url("/in")}});
        auto context = contextFor({kSecret});
        const StepResult result = step->execute(message(), context);
        CHECK(result.ok);
        CHECK(context.emitted().empty());
        REQUIRE(context.retries().size() == 1);
        CHECK(context.retries().front().delay == c.expected);
        CHECK_THAT(context.retries().front().reason, Catch::Contains("429"));
    }
    {  // an HTTP-date
        Receiver receiver;
        receiver.script = {{429, {{"Retry-After", inTenSeconds}}, "{}"}};
        auto step = testing::makeStep(*component, "send", {{"url", receiver.server.url("/in")}});
        auto context = contextFor({kSecret});
        CHECK(step->execute(message(), context).ok);
        REQUIRE(context.retries().size() == 1);
        CHECK(context.retries().front().delay >= std::chrono::seconds(8));
        CHECK(context.retries().front().delay <= std::chrono::seconds(11));
    }
}

TEST_CASE("webhook send: other 4xx fail, naming the receiver but not the URL's path",
          "[plugins][webhook]") {
    auto component = loadRealComponent("libflowgate-webhook.so", "webhook");
    Receiver receiver;
    receiver.script = {{404, {}, "{}"}};
    auto step = testing::makeStep(*component, "send",
                                  {{"url", receiver.server.url("/services/T0/B0/s3cr3tpath")}});
    auto context = contextFor({kSecret});
    const StepResult result = step->execute(message(), context);
    CHECK_FALSE(result.ok);
    CHECK_THAT(result.error, Catch::Contains("127.0.0.1:" + std::to_string(receiver.server.port()) +
                                             " answered 404"));
    CHECK(result.error.find("s3cr3tpath") == std::string::npos);
    CHECK(context.emitted().empty());
}

TEST_CASE("webhook send: a rotation signs with every secret", "[plugins][webhook]") {
    auto component = loadRealComponent("libflowgate-webhook.so", "webhook");
    Receiver receiver;
    auto step = testing::makeStep(*component, "send", {{"url", receiver.server.url("/in")}});
    auto context = contextFor({kOtherSecret, kSecret});
    CHECK(step->execute(message(), context).ok);
    const auto requests = receiver.server.requests();
    REQUIRE(requests.size() == 1);
    CHECK(test::standardWebhooksProblem(requests[0], kSecret).empty());
    CHECK(test::standardWebhooksProblem(requests[0], kOtherSecret).empty());
}

TEST_CASE("webhook send: refusals that never reach the receiver", "[plugins][webhook]") {
    auto component = loadRealComponent("libflowgate-webhook.so", "webhook");
    Receiver receiver;
    auto step = testing::makeStep(*component, "send",
                                  {{"url", receiver.server.url("/in")}, {"timeoutMs", 2000}});

    SECTION("loopback is refused unless the engine allows private addresses") {
        RecordingStepContext context;
        context.setCredential(credential({kSecret}));
        const StepResult result = step->execute(message(), context);
        CHECK_FALSE(result.ok);
        CHECK_THAT(result.error, Catch::Contains("delivery to 127.0.0.1"));
    }
    SECTION("an hmac credential without the standard-webhooks preset is refused at load") {
        // The manifest's credential type: the engine checks step credentials with it.
        const auto* send = component->function("send");
        REQUIRE(send->credentialSchema);
        const auto violations =
            send->credentialSchema->validate({{"secrets", {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}});
        CHECK(testing::hasViolation(violations, "", "Missing required property 'preset'"));
        CHECK(testing::hasViolation(
            send->credentialSchema->validate({{"preset", "standard-webhooks"}, {"secrets", {"not*base64"}}}),
            "/secrets/0", ""));
        CHECK(send->credentialSchema
                  ->validate({{"preset", "standard-webhooks"}, {"secrets", {kSecret}}})
                  .empty());
    }
    SECTION("a secret that is not whsec_ base64 fails permanently") {
        auto context = contextFor({kSecret, "whsec_not*base64"});
        const StepResult result = step->execute(message(), context);
        CHECK_FALSE(result.ok);
        CHECK(result.permanent);
        CHECK_THAT(result.error, Catch::Contains("secret 1 is not a Standard Webhooks secret"));
        CHECK(result.error.find("not*base64") == std::string::npos);
    }
    CHECK(receiver.server.requests().empty());
}

TEST_CASE("webhook send: a receiver slower than timeoutMs fails the attempt",
          "[plugins][webhook]") {
    auto component = loadRealComponent("libflowgate-webhook.so", "webhook");
    LocalHttpServer slow([](const SeenRequest&, Poco::Net::HTTPServerRequest&,
                            Poco::Net::HTTPServerResponse& response) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1500));
        test::sendCanned(response, {200, {}, "{}"});
    });
    auto step =
        testing::makeStep(*component, "send", {{"url", slow.url("/in")}, {"timeoutMs", 300}});
    auto context = contextFor({kSecret});
    const auto started = std::chrono::steady_clock::now();
    const StepResult result = step->execute(message(), context);
    CHECK_FALSE(result.ok);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(1400));
    CHECK(context.emitted().empty());
}

TEST_CASE("webhook send: a network error names the receiver, not the URL's path",
          "[plugins][webhook]") {
    auto component = loadRealComponent("libflowgate-webhook.so", "webhook");
    int closedPort = 0;
    {
        Receiver gone;
        closedPort = gone.server.port();
    }
    auto step = testing::makeStep(*component, "send",
                                  {{"url", "http://127.0.0.1:" + std::to_string(closedPort) +
                                               "/services/T0/s3cr3tpath?k=v"}});
    auto context = contextFor({kSecret});
    const StepResult result = step->execute(message(), context);
    CHECK_FALSE(result.ok);
    CHECK_THAT(result.error,
               Catch::Contains("delivery to 127.0.0.1:" + std::to_string(closedPort)));
    CHECK(result.error.find("s3cr3tpath") == std::string::npos);
    CHECK(result.error.find("k=v") == std::string::npos);
}
