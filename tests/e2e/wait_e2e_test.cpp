// webhook.wait through the real engine: an execution pauses, survives a kill -9, and goes
// on when its resume URL is called; or takes its timeout output.
#include <catch2/catch.hpp>

#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/test_config.hpp"

using namespace flowgate::test;
using nlohmann::json;

namespace {

json logTo(const std::string& id, const std::filesystem::path& file) {
    return {{"id", id}, {"component", "logger"}, {"function", "log"},
            {"config", {{"file", file.string()}}}};
}

HttpResult call(int port, const std::string& method, const std::string& path,
                const std::string& body = "", const std::string& contentType = "") {
    return request(port, {method, path, body, contentType, {}, false});
}

// Nothing stored, leased or waiting: the executions are over.
bool idle(int port) {
    const auto queue = call(port, "GET", "/readyz").json().at("queue");
    return queue.at("ready") == 0 && queue.at("leased") == 0 && queue.at("waiting") == 0;
}

// "/resume/..." of a resume URL "http://host:port/resume/...".
std::string pathOf(const std::string& url) {
    const auto at = url.find("/resume/");
    REQUIRE(at != std::string::npos);
    return url.substr(at);
}

}  // namespace

TEST_CASE("a waiting execution survives kill -9 and goes on when its resume URL is called",
          "[e2e][wait]") {
    TestConfig config;
    const auto asked = config.file("asked.log"), approved = config.file("approved.log"),
               plain = config.file("plain.log");
    config.addFlow({{"id", "approval"},
                    {"steps", std::vector<json>{logTo("ask", asked),
                                                {{"id", "wait"}, {"component", "webhook"},
                                                 {"function", "wait"},
                                                 {"config", {{"timeoutMs", 600000}}}},
                                                logTo("approved", approved)}}});
    config.addFlow({{"id", "plain"}, {"steps", std::vector<json>{logTo("log", plain)}}});

    std::string requestId, resumePath;
    {
        EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
        const auto accepted = postJson(engine.port(), "/hook/approval", R"({"order": 7})");
        REQUIRE(accepted.status == 202);
        requestId = accepted.json().at("requestId");
        REQUIRE(eventually([&] { return !jsonLines(asked).empty(); }));
        const json meta = jsonLines(asked).front().at("message").at("meta");
        resumePath = pathOf(meta.at("resumeUrl"));
        CHECK(resumePath.rfind("/resume/" + requestId + "/", 0) == 0);

        // Only flows with a waiting step hand out resume URLs.
        REQUIRE(postJson(engine.port(), "/hook/plain", "{}").status == 202);
        REQUIRE(eventually([&] { return !jsonLines(plain).empty(); }));
        CHECK_FALSE(jsonLines(plain).front().at("message").at("meta").contains("resumeUrl"));

        // Parked: visible in /health, nothing reaches the last step.
        REQUIRE(eventually([&] {
            const auto health = call(engine.adminPort(), "GET", "/readyz");
            return health.json().at("queue").at("waiting") == 1;
        }));
        engine.kill9();
    }
    CHECK(jsonLines(approved).empty());

    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
    SECTION("a wrong token, or an unknown execution, is one 404") {
        std::string wrong = resumePath;
        wrong.back() = wrong.back() == '0' ? '1' : '0';
        const auto refused = postJson(engine.port(), wrong, R"({"approved": true})");
        CHECK(refused.status == 404);
        CHECK(refused.json().at("error") == "not_waiting");
        CHECK(postJson(engine.port(), "/resume/no-such-execution/abc", "{}").status == 404);
        CHECK(call(engine.adminPort(), "GET", "/readyz").json().at("queue").at("waiting") == 1);
    }
    SECTION("the call's body goes on to the next step, once") {
        const auto resumed = postJson(engine.port(), resumePath, R"({"approved": true})");
        REQUIRE(resumed.status == 202);
        CHECK(resumed.json().at("requestId") == requestId);
        REQUIRE(eventually([&] { return !jsonLines(approved).empty(); }));
        const json message = jsonLines(approved).front().at("message");
        CHECK(message.at("body") == json{{"approved", true}});
        CHECK(message.at("meta").at("requestId") == requestId);
        CHECK(message.at("meta").at("resume").at("method") == "POST");
        CHECK(message.at("meta").at("resume").at("step") == "wait");
        CHECK_FALSE(message.at("meta").contains("wait"));
        // A spent URL: the next steps got a new one.
        const std::string nextUrl = message.at("meta").at("resumeUrl");
        CHECK(nextUrl.rfind("/resume/" + requestId + "/") != std::string::npos);
        CHECK(pathOf(nextUrl) != resumePath);

        REQUIRE(eventually([&] { return idle(engine.adminPort()); }));
        const auto again = postJson(engine.port(), resumePath, R"({"approved": false})");
        CHECK(again.status == 404);
    }
}

TEST_CASE("a wait that times out takes its timeout output, and its URL is spent",
          "[e2e][wait]") {
    TestConfig config;
    const auto onTime = config.file("on-time.log"), late = config.file("late.log"),
               asked = config.file("asked.log");
    config.addFlow({{"id", "short-wait"},
                    {"steps", std::vector<json>{
                                  logTo("ask", asked),
                                  {{"id", "wait"}, {"component", "webhook"}, {"function", "wait"},
                                   {"config", {{"timeoutMs", 1000}, {"onTimeout", "continue"}}},
                                   {"next", {{"default", "on-time"}, {"timeout", "late"}}}},
                                  logTo("on-time", onTime), logTo("late", late)}}});
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
    REQUIRE(postJson(engine.port(), "/hook/short-wait", R"({"n": 1})").status == 202);
    REQUIRE(eventually([&] { return !jsonLines(late).empty(); }, std::chrono::seconds(15)));
    const json message = jsonLines(late).front().at("message");
    CHECK(message.at("body") == json{{"n", 1}});
    CHECK(jsonLines(onTime).empty());

    const std::string resumePath =
        pathOf(jsonLines(asked).front().at("message").at("meta").at("resumeUrl"));
    REQUIRE(eventually([&] { return idle(engine.adminPort()); }));
    CHECK(postJson(engine.port(), resumePath, "{}").status == 404);
}

TEST_CASE("a resume call is checked like a webhook body", "[e2e][wait]") {
    TestConfig config;
    const auto asked = config.file("asked.log"), done = config.file("done.log");
    config.addFlow({{"id", "form-wait"},
                    {"steps", std::vector<json>{logTo("ask", asked),
                                                {{"id", "wait"}, {"component", "webhook"},
                                                 {"function", "wait"}},
                                                logTo("done", done)}}});
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
    REQUIRE(postJson(engine.port(), "/hook/form-wait", "{}").status == 202);
    REQUIRE(eventually([&] { return !jsonLines(asked).empty(); }));
    const std::string resumePath =
        pathOf(jsonLines(asked).front().at("message").at("meta").at("resumeUrl"));
    REQUIRE(eventually([&] {
        return call(engine.adminPort(), "GET", "/readyz").json().at("queue").at("waiting") == 1;
    }));

    CHECK(postJson(engine.port(), resumePath, "{not json").status == 400);
    CHECK(call(engine.port(), "DELETE", resumePath).status == 405);
    CHECK(call(engine.port(), "POST", resumePath, "raw bytes", "application/octet-stream")
              .status == 415);
    // Still waiting after the refusals: a GET with parameters (a link in an email) resumes.
    const auto resumed = call(engine.port(), "GET", resumePath + "?decision=approve");
    REQUIRE(resumed.status == 202);
    REQUIRE(eventually([&] { return !jsonLines(done).empty(); }));
    CHECK(jsonLines(done).front().at("message").at("body") == json{{"decision", "approve"}});
}

TEST_CASE("one call resumes every branch of the execution that waits", "[e2e][wait]") {
    TestConfig config;
    const auto asked = config.file("asked.log"), done = config.file("done.log");
    config.addFlow({{"id", "split-wait"},
                    {"steps", std::vector<json>{
                                  {{"id", "split"}, {"component", "split"}, {"function", "split"},
                                   {"config", {{"path", "/items"}}}},
                                  logTo("ask", asked),
                                  {{"id", "wait"}, {"component", "webhook"}, {"function", "wait"}},
                                  logTo("done", done)}}});
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
    REQUIRE(postJson(engine.port(), "/hook/split-wait", R"({"items":["a","b"]})").status == 202);
    REQUIRE(eventually([&] {
        return call(engine.adminPort(), "GET", "/readyz").json().at("queue").at("waiting") == 2;
    }));
    const std::string resumePath =
        pathOf(jsonLines(asked).front().at("message").at("meta").at("resumeUrl"));
    REQUIRE(postJson(engine.port(), resumePath, R"({"go":true})").status == 202);
    REQUIRE(eventually([&] { return jsonLines(done).size() == 2; }));
    for (const auto& line : jsonLines(done))
        CHECK(line.at("message").at("body") == json{{"go", true}});
    REQUIRE(eventually([&] { return idle(engine.adminPort()); }));
    CHECK(postJson(engine.port(), resumePath, "{}").status == 404);
}

TEST_CASE("a call that comes before the execution waits is told to try again, not refused",
          "[e2e][wait]") {
    TestConfig config;
    const auto asked = config.file("asked.log"), done = config.file("done.log");
    config.addFlow({{"id", "slow-wait"},
                    {"steps", std::vector<json>{
                                  logTo("ask", asked),
                                  {{"id", "slow"}, {"component", "testkit"}, {"function", "sleep"},
                                   {"config", {{"ms", 1500}}}},
                                  {{"id", "wait"}, {"component", "webhook"}, {"function", "wait"}},
                                  logTo("done", done)}}});
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
    REQUIRE(postJson(engine.port(), "/hook/slow-wait", "{}").status == 202);
    REQUIRE(eventually([&] { return !jsonLines(asked).empty(); }));
    const std::string resumePath =
        pathOf(jsonLines(asked).front().at("message").at("meta").at("resumeUrl"));

    const auto early = postJson(engine.port(), resumePath, R"({"early":true})");
    CHECK(early.status == 409);
    CHECK(early.json().at("error") == "not_waiting_yet");
    CHECK(early.headers.count("retry-after") == 1);

    REQUIRE(eventually([&] {
        return call(engine.adminPort(), "GET", "/readyz").json().at("queue").at("waiting") == 1;
    }));
    REQUIRE(postJson(engine.port(), resumePath, R"({"late":true})").status == 202);
    REQUIRE(eventually([&] { return !jsonLines(done).empty(); }));
    CHECK(jsonLines(done).front().at("message").at("body") == json{{"late", true}});
}

TEST_CASE("the resume URL names the engine's address, not the caller's Host header",
          "[e2e][wait]") {
    TestConfig config;
    const auto asked = config.file("asked.log");
    config.addFlow({{"id", "host-wait"},
                    {"steps", std::vector<json>{logTo("ask", asked),
                                                {{"id", "wait"}, {"component", "webhook"},
                                                 {"function", "wait"}}}}});
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
    REQUIRE(request(engine.port(), {"POST", "/hook/host-wait", "{}", "application/json",
                                    {{"Host", "evil.example"}}, false})
                .status == 202);
    REQUIRE(eventually([&] { return !jsonLines(asked).empty(); }));
    const std::string url = jsonLines(asked).front().at("message").at("meta").at("resumeUrl");
    CHECK(url.rfind("http://127.0.0.1:" + std::to_string(engine.port()) + "/resume/", 0) == 0);
}
