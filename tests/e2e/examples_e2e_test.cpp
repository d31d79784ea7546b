// The example flows shipped in config/ run as the README says, from a copy of the real
// config directory with the real plugins.
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "support/build_paths.hpp"
#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"
#include "support/test_config.hpp"

using namespace flowgate::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// A copy of config/ whose flows that call the engine itself (forward.json: port 8080)
// name `port` instead.
fs::path copyShippedConfig(const TempDir& dir, int port) {
    const fs::path config = dir / "config";
    fs::copy(fs::path(flowgate::test::paths::sourceDir) / "config", config,
             fs::copy_options::recursive);
    for (const auto& entry : fs::directory_iterator(config / "flows")) {
        std::string text = readFile(entry.path());
        for (std::size_t at; (at = text.find("127.0.0.1:8080")) != std::string::npos;)
            text.replace(at, 14, "127.0.0.1:" + std::to_string(port));
        std::ofstream(entry.path()) << text;
    }
    return config;
}

HttpResult get(int port, const std::string& path) {
    return request(port, {"GET", path, "", "", {}, false});
}

}  // namespace

TEST_CASE("the shipped example flows run as documented", "[e2e][examples]") {
    TempDir dir;
    const int port = freePort();
    const auto log = dir / "engine.log";
    EngineProcess engine(copyShippedConfig(dir, port), allPluginDirs(), log, port);

    SECTION("hello: jq reshapes, the logger writes") {
        REQUIRE(postJson(port, "/hook/hello", R"({"title":"Flowgate"})").status == 202);
        REQUIRE(eventually([&] { return engineLogLines(log, "hello/log").size() == 1; }));
        CHECK(engineLogLines(log, "hello/log")[0].at("message").at("body").at("greeting") ==
              "Hello, Flowgate!");
    }
    SECTION("echo: a sync flow answers with the reshaped body") {
        const auto answer = postJson(port, "/hook/echo", R"({"a":1,"b":2})");
        REQUIRE(answer.status == 200);
        CHECK(answer.json() == json{{"echo", {{"a", 1}, {"b", 2}}}, {"keys", {"a", "b"}}});
    }
    SECTION("forward: the http step posts to another webhook and logs its answer") {
        REQUIRE(postJson(port, "/hook/forward", R"({"title":"relay"})").status == 202);
        REQUIRE(eventually([&] {
            return engineLogLines(log, "forward/log").size() == 1 &&
                   engineLogLines(log, "hello/log").size() == 1;
        }));
        const json body = engineLogLines(log, "forward/log")[0].at("message").at("body");
        CHECK(body.at("title") == "relay");
        CHECK(body.at("response").at("status") == 202);
        CHECK(body.at("response").at("body").contains("requestId"));
        CHECK(engineLogLines(log, "hello/log")[0].at("message").at("body").at("greeting") ==
              "Hello, relay!");
    }
    SECTION("notify and inbox: a signed delivery passes the receiver's check") {
        REQUIRE(postJson(port, "/hook/notify", R"({"event":"order.paid","order":7})").status == 202);
        REQUIRE(eventually([&] { return engineLogLines(log, "inbox/log").size() == 1; }));
        const json message = engineLogLines(log, "inbox/log")[0].at("message");
        CHECK(message.at("body") == json{{"event", "order.paid"}, {"order", 7}});
        CHECK(message.at("headers").contains("webhook-id"));
        // The signature was checked and is not kept; unsigned calls are refused.
        CHECK_FALSE(message.at("headers").contains("webhook-signature"));
        CHECK(postJson(port, "/hook/inbox", R"({"forged":true})").status == 401);
    }
    SECTION("approval: waits until the URL in the first log line is called") {
        REQUIRE(postJson(port, "/hook/approval", R"({"expense":120})").status == 202);
        REQUIRE(eventually([&] { return engineLogLines(log, "approval/ask").size() == 1; }));
        const std::string url =
            engineLogLines(log, "approval/ask")[0].at("message").at("meta").at("resumeUrl");
        const std::string path = url.substr(url.find("/resume/"));
        REQUIRE(eventually([&] {
            return get(engine.adminPort(), "/readyz").json().at("queue").at("waiting") == 1;
        }));
        CHECK(engineLogLines(log, "approval/answered").empty());
        REQUIRE(get(port, path + "?decision=yes").status == 202);
        REQUIRE(eventually([&] { return engineLogLines(log, "approval/answered").size() == 1; }));
        CHECK(engineLogLines(log, "approval/answered")[0].at("message").at("body") ==
              json{{"decision", "yes"}});
    }
    SECTION("orders and order-lines: route by content, split arrays") {
        REQUIRE(postJson(port, "/hook/orders", R"({"id":1,"priority":"high","total":5000})")
                    .status == 202);
        REQUIRE(postJson(port, "/hook/orders", R"({"id":2,"total":1500})").status == 202);
        REQUIRE(postJson(port, "/hook/orders", R"({"id":3,"total":20})").status == 202);
        REQUIRE(postJson(port, "/hook/order-lines",
                         R"({"order":7,"items":[{"sku":"a","qty":1},{"sku":"b","qty":2}]})")
                    .status == 202);
        REQUIRE(eventually([&] {
            return engineLogLines(log, "orders/log-urgent").size() == 1 &&
                   engineLogLines(log, "orders/log-large").size() == 1 &&
                   engineLogLines(log, "orders/log-standard").size() == 1 &&
                   engineLogLines(log, "order-lines/log-line").size() == 2;
        }));
        CHECK(engineLogLines(log, "orders/log-urgent")[0].at("message").at("body").at("id") == 1);
        CHECK(engineLogLines(log, "orders/log-urgent")[0].at("prefix") == "urgent order");
        CHECK(engineLogLines(log, "orders/log-large")[0].at("message").at("body").at("id") == 2);
        CHECK(engineLogLines(log, "orders/log-standard")[0].at("message").at("body").at("id") == 3);
        std::set<std::string> skus;
        for (const auto& line : engineLogLines(log, "order-lines/log-line"))
            skus.insert(line.at("message").at("body").at("sku").get<std::string>());
        CHECK(skus == std::set<std::string>{"a", "b"});
    }
}
