// The real twitter plugin's `post` step against a fake X API on loopback that checks
// every request's OAuth 1.0a signature with its own implementation.
#include <catch2/catch.hpp>

#include "support/fake_x_api.hpp"
#include "flowgate/testkit.hpp"
#include "unit/plugins/plugin_under_test.hpp"

using namespace flowgate;
using flowgate::test::CannedResponse;
using flowgate::test::FakeXApi;
using flowgate::test::XApiKeys;
using flowgate::testing::loadRealComponent;
using flowgate::testkit::RecordingStepContext;
using nlohmann::json;

namespace {

const XApiKeys kKeys{"consumer-key-1", "consumer secret/with+symbols", "12345-access-token",
                     "access~token~secret"};

json credential(const XApiKeys& keys) {
    return {{"id", "my-x"},
            {"type", "oauth1"},
            {"consumerKey", keys.consumerKey},
            {"consumerSecret", keys.consumerSecret},
            {"accessToken", keys.accessToken},
            {"accessTokenSecret", keys.accessTokenSecret}};
}

RecordingStepContext contextWith(const XApiKeys& keys) {
    RecordingStepContext context;
    context.setCredential(credential(keys)).setStepId("tweet");
    context.setEngineSettings({{"network", {{"allowPrivateAddresses", true}}}});
    return context;
}

Message message(const json& body) {
    Message m;
    m.id = "exec-7";
    m.body = body;
    return m;
}

long long epochNow() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

TEST_CASE("twitter post: a signed tweet, and the created tweet as output", "[plugins][twitter]") {
    auto twitter = loadRealComponent("libflowgate-twitter.so", "twitter");
    FakeXApi api(kKeys);
    auto step =
        testing::makeStep(*twitter, "post",
                          {{"textExpression", "\"New post: \" + .body.title + \" \" + .body.url"},
                           {"apiBaseUrl", api.baseUrl()}});
    auto context = contextWith(kKeys);

    const StepResult result = step->execute(
        message({{"title", "Ünïcode & symbols: 100% +ok!"}, {"url", "https://blog.example/p?1=2"}}),
        context);

    INFO(result.error);
    REQUIRE(result.ok);
    const auto seen = api.seen();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].signatureProblem.empty());
    CHECK(api.posted() == std::vector<std::string>{
                              "New post: Ünïcode & symbols: 100% +ok! https://blog.example/p?1=2"});
    REQUIRE(context.emitted().size() == 1);
    const json body = context.emitted()[0].message.body;
    CHECK(body.at("id").is_string());
    CHECK(body.at("text") == api.posted()[0]);
}

TEST_CASE("twitter post: every request has a fresh nonce", "[plugins][twitter]") {
    auto twitter = loadRealComponent("libflowgate-twitter.so", "twitter");
    FakeXApi api(kKeys);  // refuses a nonce it has seen
    auto step =
        testing::makeStep(*twitter, "post", {{"text", "same text"}, {"apiBaseUrl", api.baseUrl()}});
    for (int i = 0; i < 5; ++i) {
        auto context = contextWith(kKeys);
        const StepResult result = step->execute(message({}), context);
        INFO(result.error);
        CHECK(result.ok);
    }
    for (const auto& seen : api.seen()) CHECK(seen.signatureProblem.empty());
}

TEST_CASE("twitter post: a 429 waits for x-rate-limit-reset", "[plugins][twitter]") {
    auto twitter = loadRealComponent("libflowgate-twitter.so", "twitter");
    FakeXApi api(kKeys);
    auto step =
        testing::makeStep(*twitter, "post", {{"text", "hi"}, {"apiBaseUrl", api.baseUrl()}});
    const auto tooMany = [](const std::string& reset) {
        CannedResponse answer{429, {}, R"({"title":"Too Many Requests","status":429})"};
        if (!reset.empty())
            answer.headers = {{"x-rate-limit-reset", reset}, {"x-rate-limit-remaining", "0"}};
        return answer;
    };
    struct Case {
        std::string reset;
        std::chrono::seconds low, high;
    };
    const std::string inFiveMinutes = std::to_string(epochNow() + 300);
    for (const auto& c :
         {Case{inFiveMinutes, std::chrono::seconds(299), std::chrono::seconds(302)},
          Case{std::to_string(epochNow() + 86400), std::chrono::seconds(900),
               std::chrono::seconds(900)},
          Case{std::to_string(epochNow() - 10), std::chrono::seconds(1), std::chrono::seconds(1)},
          Case{"", std::chrono::seconds(60), std::chrono::seconds(60)},
          Case{"soon", std::chrono::seconds(60), std::chrono::seconds(60)}}) {
        INFO("x-rate-limit-reset: " << c.reset);
        api.script({tooMany(c.reset)});
        auto context = contextWith(kKeys);
        const StepResult result = step->execute(message({}), context);
        CHECK(result.ok);  // not a failed attempt
        CHECK(context.emitted().empty());
        REQUIRE(context.retries().size() == 1);
        CHECK(context.retries()[0].delay >= c.low);
        CHECK(context.retries()[0].delay <= c.high);
        CHECK_THAT(context.retries()[0].reason, Catch::Contains("429"));
    }
    CHECK(api.posted().empty());
}

TEST_CASE("twitter post: 5xx fails the attempt, a retry then posts", "[plugins][twitter]") {
    auto twitter = loadRealComponent("libflowgate-twitter.so", "twitter");
    FakeXApi api(kKeys);
    api.script({{503, {}, R"({"title":"Service Unavailable","detail":"over capacity"})"}});
    auto step =
        testing::makeStep(*twitter, "post", {{"text", "hi"}, {"apiBaseUrl", api.baseUrl()}});
    auto context = contextWith(kKeys);
    const StepResult first = step->execute(message({}), context);
    CHECK_FALSE(first.ok);
    CHECK_THAT(first.error, Catch::Contains("the X API answered 503"));
    CHECK_THAT(first.error, Catch::Contains("over capacity"));
    CHECK(context.emitted().empty());

    context.clear();
    CHECK(step->execute(message({}), context).ok);
    CHECK(api.posted() == std::vector<std::string>{"hi"});
}

TEST_CASE("twitter post: wrong credentials fail with X's reason and no secret",
          "[plugins][twitter]") {
    auto twitter = loadRealComponent("libflowgate-twitter.so", "twitter");
    FakeXApi api(kKeys);
    auto step =
        testing::makeStep(*twitter, "post", {{"text", "hi"}, {"apiBaseUrl", api.baseUrl()}});
    XApiKeys wrong = kKeys;
    wrong.accessTokenSecret = "a-wrong-token-secret";
    auto context = contextWith(wrong);

    const StepResult result = step->execute(message({}), context);

    CHECK_FALSE(result.ok);
    CHECK(result.permanent);  // the same credential is refused again: no retries
    CHECK_THAT(result.error, Catch::Contains("the X API answered 401"));
    CHECK_THAT(result.error, Catch::Contains("check the oauth1 credential"));
    for (const std::string& secret : {kKeys.consumerSecret, wrong.accessTokenSecret})
        CHECK(result.error.find(secret) == std::string::npos);
    REQUIRE(api.seen().size() == 1);
    CHECK(api.seen()[0].signatureProblem == "signature mismatch");
}

TEST_CASE("twitter post: without text in the config, the body's text is the tweet",
          "[plugins][twitter]") {
    auto twitter = loadRealComponent("libflowgate-twitter.so", "twitter");
    FakeXApi api(kKeys);
    auto step = testing::makeStep(*twitter, "post", {{"apiBaseUrl", api.baseUrl()}});
    auto context = contextWith(kKeys);

    REQUIRE(step->execute(message({{"text", "shaped by jq"}}), context).ok);
    REQUIRE(api.seen().size() == 1);
    CHECK(api.seen()[0].signatureProblem.empty());
    CHECK(api.posted() == std::vector<std::string>{"shaped by jq"});

    const StepResult missing = step->execute(message({{"title", "no text"}}), context);
    CHECK_FALSE(missing.ok);
    CHECK_THAT(missing.error, Catch::Contains("the message body has no string \"text\""));
    CHECK(api.seen().size() == 1);  // no request without a text
}

TEST_CASE("twitter post: failures before any request", "[plugins][twitter]") {
    auto twitter = loadRealComponent("libflowgate-twitter.so", "twitter");
    FakeXApi api(kKeys);
    auto step = testing::makeStep(
        *twitter, "post", {{"textExpression", ".body.text"}, {"apiBaseUrl", api.baseUrl()}});
    auto context = contextWith(kKeys);

    SECTION("a text over 280 characters") {
        const StepResult result =
            step->execute(message({{"text", std::string(300, 'a')}}), context);
        CHECK_FALSE(result.ok);
        CHECK_THAT(result.error,
                   Catch::Contains("the tweet text has 300 characters; X allows 280"));
    }
    SECTION("an expression that yields no string") {
        const StepResult result = step->execute(message({{"text", 5}}), context);
        CHECK_FALSE(result.ok);
        CHECK_THAT(result.error,
                   Catch::Contains("textExpression must produce a string, not number"));
    }
    SECTION("an empty text") {
        const StepResult result = step->execute(message({{"text", ""}}), context);
        CHECK_FALSE(result.ok);
        CHECK_THAT(result.error, Catch::Contains("the tweet text is empty"));
    }
    SECTION("a credential without accessTokenSecret") {
        json partial = credential(kKeys);
        partial.erase("accessTokenSecret");
        context.setCredential(partial);
        const StepResult result = step->execute(message({{"text", "ok"}}), context);
        CHECK_FALSE(result.ok);
        CHECK_THAT(result.error,
                   Catch::Contains("the oauth1 credential has no \"accessTokenSecret\""));
    }
    SECTION("loopback, when the engine does not allow private addresses") {
        RecordingStepContext closed;
        closed.setCredential(credential(kKeys));
        const StepResult result = step->execute(message({{"text", "ok"}}), closed);
        CHECK_FALSE(result.ok);
        CHECK_THAT(result.error, Catch::Contains("cannot reach the X API"));
    }
    CHECK(api.seen().empty());
}
