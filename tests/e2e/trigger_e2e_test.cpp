// What callers of a webhook see beyond the 202: sync replies, configured answers, CORS,
// IP allow lists, rate limits, and a server that slow clients cannot stall.
#include <atomic>
#include <thread>

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <catch2/catch.hpp>

#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/test_config.hpp"

using namespace flowgate::test;
using nlohmann::json;

namespace {

json step(const std::string& id, const std::string& component, const std::string& function,
          const json& config = json::object()) {
    return {{"id", id}, {"component", component}, {"function", function}, {"config", config}};
}

// A vector, not a json: a braced json list of one object would be that object.
json flowWith(const std::string& id, const json& trigger, const std::vector<json>& steps) {
    return {{"id", id}, {"trigger", trigger}, {"steps", steps}};
}

}  // namespace

TEST_CASE("a sync flow answers with what its reply step sends", "[e2e][sync]") {
    TestConfig config;
    config.addFlow(flowWith(
        "echo", {{"response", {{"mode", "sync"}, {"timeoutMs", 10000}}}},
        {step("shape", "jq", "transform", {{"expression", "{hello: .name}"}}),
         step("answer", "http-reply", "reply",
              {{"status", 201}, {"headers", {{"X-Flow", "echo"}}}})}));
    config.addFlow(flowWith("silent", {{"response", {{"mode", "sync"}, {"timeoutMs", 300}}}},
                            {step("log", "logger", "log")}));
    config.addFlow(flowWith("failing",
                            {{"response", {{"mode", "sync"}, {"timeoutMs", 10000}}}},
                            {step("boom", "testkit", "fail", {{"message", "secret internals"}}),
                             step("answer", "http-reply", "reply")}));
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());

    SECTION("reply") {
        const auto res = postJson(engine.port(), "/hook/echo", R"({"name":"Ada"})");
        CHECK(res.status == 201);
        CHECK(res.headers.at("x-flow") == "echo");
        CHECK(res.headers.at("content-type") == "application/json");
        CHECK(res.json() == json{{"hello", "Ada"}});
    }
    SECTION("no reply within the flow's timeout: 504 naming the request") {
        const auto res = postJson(engine.port(), "/hook/silent", "{}");
        CHECK(res.status == 504);
        CHECK(res.json().at("error") == "timeout");
        CHECK(res.headers.count("x-request-id") == 1);
    }
    SECTION("a flow that fails before replying: 500 without the step's internals") {
        const auto res = postJson(engine.port(), "/hook/failing", "{}");
        CHECK(res.status == 500);
        CHECK(res.json().at("error") == "flow_failed");
        CHECK(res.body.find("secret internals") == std::string::npos);
    }
}

TEST_CASE("an async flow may configure its success answer", "[e2e]") {
    TestConfig config;
    config.addFlow(flowWith(
        "custom",
        {{"response",
          {{"status", 200}, {"headers", {{"X-Accepted", "yes"}}},
           {"body", {{"ok", true}, {"ticket", "T-{{requestId}}"}}}}}},
        {step("log", "logger", "log")}));
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
    const auto res = postJson(engine.port(), "/hook/custom", "{}");
    CHECK(res.status == 200);
    CHECK(res.headers.at("x-accepted") == "yes");
    CHECK(res.json().at("ok") == true);
    CHECK(res.json().at("ticket").get<std::string>().rfind("T-", 0) == 0);
    CHECK(res.json().at("ticket").get<std::string>().size() == 38);
}

TEST_CASE("CORS: allowed origins get the headers, others are refused at preflight", "[e2e]") {
    TestConfig config;
    config.addFlow(flowWith("browser", {{"cors", {{"origins", {"https://app.example"}}}}},
                            {step("log", "logger", "log")}));
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
    const int port = engine.port();

    auto preflight = request(port, {"OPTIONS", "/hook/browser", "", "",
                                    {{"Origin", "https://app.example"},
                                     {"Access-Control-Request-Method", "POST"},
                                     {"Access-Control-Request-Headers", "content-type"}},
                                    false});
    CHECK(preflight.status == 204);
    CHECK(preflight.headers.at("access-control-allow-origin") == "https://app.example");
    CHECK(preflight.headers.at("access-control-allow-methods").find("POST") != std::string::npos);
    CHECK(preflight.headers.at("access-control-allow-headers") == "content-type");

    auto refused = request(port, {"OPTIONS", "/hook/browser", "", "",
                                  {{"Origin", "https://evil.example"}}, false});
    CHECK(refused.status == 403);
    CHECK(refused.headers.count("access-control-allow-origin") == 0);

    auto post = request(port, {"POST", "/hook/browser", "{}", "application/json",
                               {{"Origin", "https://app.example"}}, false});
    CHECK(post.status == 202);
    CHECK(post.headers.at("access-control-allow-origin") == "https://app.example");
}

TEST_CASE("an IP allow list refuses other callers with 403", "[e2e]") {
    TestConfig config;
    config.addFlow(flowWith("office", {{"allowIps", {"10.0.0.0/8", "192.168.1.7"}}},
                            {step("log", "logger", "log")}));
    config.addFlow(flowWith("local", {{"allowIps", {"127.0.0.0/8"}}},
                            {step("log", "logger", "log")}));
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
    const auto refused = postJson(engine.port(), "/hook/office", "{}");
    CHECK(refused.status == 403);
    CHECK(refused.json().at("error") == "ip_not_allowed");
    CHECK(postJson(engine.port(), "/hook/local", "{}").status == 202);
    CHECK(readFile(config.logFile()).find("flow office: refused 127.0.0.1") != std::string::npos);
}

TEST_CASE("a rate limit answers 429 with Retry-After once the bucket is empty", "[e2e]") {
    TestConfig config;
    config.addFlow(flowWith("limited", {{"rateLimit", {{"requests", 3}, {"perSeconds", 60}}}},
                            {step("log", "logger", "log")}));
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
    for (int i = 0; i < 3; ++i) CHECK(postJson(engine.port(), "/hook/limited", "{}").status == 202);
    const auto limited = postJson(engine.port(), "/hook/limited", "{}");
    CHECK(limited.status == 429);
    CHECK(limited.json().at("error") == "rate_limited");
    const int retryAfter = std::stoi(limited.headers.at("retry-after"));
    CHECK((retryAfter >= 1 && retryAfter <= 20));
}

TEST_CASE("slow clients are cut off and cannot stop others from being served", "[e2e][slow]") {
    TestConfig config(json{{"http", {{"threads", 8}, {"requestTimeoutMs", 1500}}}});
    config.addFlow(flowWith("open", json::object(), {step("log", "logger", "log")}));
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
    const Poco::Net::SocketAddress address("127.0.0.1", static_cast<Poco::UInt16>(engine.port()));

    // Twice as many slowloris clients as the server has threads: each sends a request
    // line and then one header byte every 300 ms, never finishing its headers.
    std::vector<Poco::Net::StreamSocket> slow;
    for (int i = 0; i < 16; ++i) {
        slow.emplace_back(address);
        slow.back().sendBytes("POST /hook/open HTTP/1.1\r\nHost: x\r\n", 35);
    }
    std::atomic<bool> dribbling{true};
    std::atomic<int> cutOff{0};
    std::thread dribbler([&] {
        std::vector<bool> closed(slow.size(), false);
        while (dribbling) {
            for (std::size_t i = 0; i < slow.size(); ++i) {
                if (closed[i]) continue;
                try {
                    slow[i].sendBytes("X", 1);
                } catch (...) {
                    closed[i] = true;
                    ++cutOff;
                }
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
        }
    });

    const auto start = std::chrono::steady_clock::now();
    const auto res = postJson(engine.port(), "/hook/open", "{}");
    const auto waited = std::chrono::steady_clock::now() - start;
    CHECK(res.status == 202);
    CHECK(waited < std::chrono::seconds(8));
    // Every slow client was disconnected by the server.
    CHECK(eventually([&] { return cutOff == 16; }, std::chrono::seconds(10)));
    dribbling = false;
    dribbler.join();
}

TEST_CASE("header limits: too many or too large headers are a 400, not a crash", "[e2e]") {
    TestConfig config;
    config.addFlow(flowWith("open", json::object(), {step("log", "logger", "log")}));
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
    std::map<std::string, std::string> many;
    for (int i = 0; i < 150; ++i) many["X-H" + std::to_string(i)] = "v";
    CHECK(request(engine.port(), {"POST", "/hook/open", "{}", "application/json", many, false})
              .status == 400);
    CHECK(request(engine.port(), {"POST", "/hook/open", "{}", "application/json",
                                  {{"X-Big", std::string(20000, 'a')}}, false})
              .status == 400);
    CHECK(postJson(engine.port(), "/hook/open", "{}").status == 202);
}
