// The admin listener against a real engine: its API, its CLI, pause and replay, what the
// webhook port no longer shows, and readiness while draining.
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cstdio>
#include <optional>
#include <thread>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <catch2/catch.hpp>

#include "support/cli_run.hpp"
#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/test_config.hpp"

using namespace flowgate::test;
using nlohmann::json;

namespace {

// The CLI's options for the engine under test: its admin port and generated token file.
std::string cliArgs(const EngineProcess& engine, const TestConfig& config) {
    return " --admin-url http://127.0.0.1:" + std::to_string(engine.adminPort()) +
           " --token-file " + (config.dataDir() / "admin-token").string();
}

HttpResult api(const EngineProcess& engine, const TestConfig& config, const std::string& method,
               const std::string& path, const std::string& body = "") {
    const std::string token = EngineProcess::adminToken(config.dataDir());
    return request(engine.adminPort(), {method,
                                        path,
                                        body,
                                        body.empty() ? "" : "application/json",
                                        {{"Authorization", "Bearer " + token}},
                                        false});
}

std::string statusOf(const EngineProcess& engine, const TestConfig& config,
                     const std::string& requestId) {
    const auto res = api(engine, config, "GET", "/api/v1/executions/" + requestId);
    return res.status == 200 ? res.json().at("status").get<std::string>() : "";
}

// An upstream on a port chosen up front, so a test can start it after a step failed on
// the closed port.
class FixedPortServer {
public:
    explicit FixedPortServer(int port)
        : server_(new Factory, Poco::Net::ServerSocket(Poco::Net::SocketAddress("127.0.0.1", port)),
                  new Poco::Net::HTTPServerParams) {
        server_.start();
    }
    ~FixedPortServer() { server_.stopAll(true); }

private:
    struct Ok : Poco::Net::HTTPRequestHandler {
        void handleRequest(Poco::Net::HTTPServerRequest& request,
                           Poco::Net::HTTPServerResponse& response) override {
            request.stream().ignore(std::numeric_limits<std::streamsize>::max());
            response.setContentType("application/json");
            response.send() << R"({"ok":true})";
        }
    };
    struct Factory : Poco::Net::HTTPRequestHandlerFactory {
        Poco::Net::HTTPRequestHandler* createRequestHandler(
            const Poco::Net::HTTPServerRequest&) override {
            return new Ok;
        }
    };
    Poco::Net::HTTPServer server_;
};

json loggerFlow(const std::string& id, const std::filesystem::path& file) {
    return {{"id", id},
            {"steps",
             {{{"id", "log"},
               {"component", "logger"},
               {"function", "log"},
               {"config", {{"file", file.string()}}}}}}};
}

}  // namespace

TEST_CASE("admin: a failing step ends dead with its attempts, replay after the fix succeeds",
          "[e2e][admin]") {
    const int upstreamPort = freePort();  // closed until the "fix"
    TestConfig config(json{{"network", {{"allowAddresses", {"127.0.0.1/32"}}}},
                           {"retry", {{"maxAttempts", 2}, {"initialDelayMs", 20}}}});
    config.addFlow(
        {{"id", "relay"},
         {"steps",
          {{{"id", "call"},
            {"component", "http"},
            {"function", "request"},
            {"config", {{"url", "http://127.0.0.1:" + std::to_string(upstreamPort) + "/in"}}}}}}});
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());

    const auto accepted = request(engine.port(), {"POST",
                                                  "/hook/relay",
                                                  R"({"order":7})",
                                                  "application/json",
                                                  {{"Authorization", "Bearer not-stored"}},
                                                  false});
    REQUIRE(accepted.status == 202);
    const std::string id = accepted.json().at("requestId");
    REQUIRE(eventually([&] { return statusOf(engine, config, id) == "dead"; }));

    auto detail = api(engine, config, "GET", "/api/v1/executions/" + id).json();
    CHECK(detail.at("flow") == "relay");
    CHECK(detail.at("message").at("body") == json{{"order", 7}});
    CHECK(detail.at("message").dump().find("not-stored") == std::string::npos);
    const auto& attempts = detail.at("attempts");
    REQUIRE(attempts.size() == 2);
    CHECK(attempts[0].at("outcome") == "failed");
    CHECK(attempts[0].at("attempt") == 1);
    CHECK(attempts[1].at("outcome") == "dead");
    CHECK(attempts[1].at("attempt") == 2);
    CHECK_FALSE(attempts[1].at("error").get<std::string>().empty());
    CHECK(attempts[0].at("startedAt").get<std::string>().ends_with("Z"));

    // The CLI sees the same.
    auto run = runFlowgate("executions --status dead" + cliArgs(engine, config));
    INFO(run.output);
    CHECK(run.exitCode == 0);
    CHECK(run.output.find(id) != std::string::npos);
    CHECK(run.output.find("REQUEST ID") != std::string::npos);
    run = runFlowgate("executions show " + id + cliArgs(engine, config));
    CHECK(run.exitCode == 0);
    CHECK(run.output.find("status: dead") != std::string::npos);
    run = runFlowgate("dead-letters list --json" + cliArgs(engine, config));
    REQUIRE(run.exitCode == 0);
    const json letters = json::parse(run.output);
    REQUIRE(letters.at("items").size() == 1);
    const auto letterId = std::to_string(letters["items"][0].at("id").get<long>());
    CHECK(letters["items"][0].at("requestId") == id);
    CHECK(letters["items"][0].at("step") == "call");

    std::optional<FixedPortServer> upstream(upstreamPort);  // the fix
    run = runFlowgate("dead-letters replay " + letterId + cliArgs(engine, config));
    INFO(run.output);
    CHECK(run.exitCode == 0);
    REQUIRE(eventually([&] { return statusOf(engine, config, id) == "succeeded"; }));
    detail = api(engine, config, "GET", "/api/v1/executions/" + id).json();
    REQUIRE(detail.at("attempts").size() == 4);
    CHECK(detail["attempts"][2].at("outcome") == "replayed");
    CHECK(detail["attempts"][3].at("outcome") == "completed");
    CHECK(detail["attempts"][3].at("attempt") == 1);  // a fresh attempt count
    CHECK(api(engine, config, "POST", "/api/v1/dead-letters/" + letterId + "/replay").status ==
          404);

    // Bulk replay and delete on a second failure (the upstream down again).
    upstream.reset();
    const std::string second =
        postJson(engine.port(), "/hook/relay", "{}").json().at("requestId");
    REQUIRE(eventually([&] { return statusOf(engine, config, second) == "dead"; }));
    run = runFlowgate("dead-letters replay --flow relay --since 2020-01-01T00:00:00Z" +
                      cliArgs(engine, config));
    CHECK(run.exitCode == 0);
    CHECK(run.output == "replayed 1 dead letter(s)\n");
    // Replayed, failed twice more on the closed port, dead again.
    REQUIRE(eventually([&] {
        const auto attempts =
            api(engine, config, "GET", "/api/v1/executions/" + second).json().at("attempts");
        return attempts.size() == 5 && attempts[2].at("outcome") == "replayed" &&
               attempts[4].at("outcome") == "dead";
    }));
    CHECK(statusOf(engine, config, second) == "dead");
    run = runFlowgate("dead-letters list --json" + cliArgs(engine, config));
    const auto again = std::to_string(json::parse(run.output)["items"][0].at("id").get<long>());
    run = runFlowgate("dead-letters delete " + again + cliArgs(engine, config));
    CHECK(run.exitCode == 0);
    CHECK(api(engine, config, "GET", "/api/v1/dead-letters").json().at("items").empty());
    run = runFlowgate("dead-letters delete " + again + cliArgs(engine, config));
    CHECK(run.exitCode == 1);
    CHECK(run.output.find("404") != std::string::npos);
}

TEST_CASE("admin: pause holds deliveries across a restart, resume drains them in order",
          "[e2e][admin]") {
    TestConfig config;
    const auto out = config.file("out.log");
    config.addFlow(loggerFlow("inbox", out));
    std::vector<std::string> ids;
    {
        EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
        auto run = runFlowgate("flows pause inbox" + cliArgs(engine, config));
        INFO(run.output);
        REQUIRE(run.exitCode == 0);
        CHECK(run.output.find("flow inbox paused") != std::string::npos);
        for (int i = 0; i < 5; ++i) {
            const auto res = postJson(engine.port(), "/hook/inbox", json{{"n", i}}.dump());
            REQUIRE(res.status == 202);
            ids.push_back(res.json().at("requestId"));
        }
        const auto flows = api(engine, config, "GET", "/api/v1/flows").json();
        REQUIRE(flows.at("items").size() == 1);
        CHECK(flows["items"][0].at("paused") == true);
        CHECK(flows["items"][0].at("queueDepth") == 5);
        CHECK(flows["items"][0].at("counts").at("running") == 5);
        CHECK(flows["items"][0].at("url").get<std::string>().ends_with("/hook/inbox"));
        run = runFlowgate("flows" + cliArgs(engine, config));
        CHECK(run.output.find("inbox") != std::string::npos);
        CHECK(engine.terminate() == 0);
    }
    CHECK(jsonLines(out).empty());

    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    CHECK(jsonLines(out).empty());  // still paused after the restart
    const auto run = runFlowgate("flows resume inbox" + cliArgs(engine, config));
    INFO(run.output);
    REQUIRE(run.exitCode == 0);
    REQUIRE(eventually([&] { return jsonLines(out).size() == 5; }));
    std::vector<std::string> order;
    for (const auto& line : jsonLines(out)) order.push_back(line.at("requestId"));
    CHECK(order == ids);
    REQUIRE(eventually([&] { return statusOf(engine, config, ids.back()) == "succeeded"; }));
    CHECK(api(engine, config, "POST", "/api/v1/flows/nope/pause").status == 404);
}

TEST_CASE("admin: the webhook port hides operations, the admin API wants its token",
          "[e2e][admin]") {
    TestConfig config;
    config.addFlow(loggerFlow("inbox", config.file("out.log")));
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
    const int hooks = engine.port();
    const int admin = engine.adminPort();
    REQUIRE(admin != hooks);

    CHECK(request(hooks, {"GET", "/metrics", "", "", {}, false}).status == 404);
    CHECK(request(hooks, {"GET", "/api/v1/flows", "", "", {}, false}).status == 404);
    const auto health = request(hooks, {"GET", "/health", "", "", {}, false});
    CHECK(health.status == 200);
    CHECK(health.json() == json{{"status", "ok"}});

    CHECK(request(admin, {"GET", "/livez", "", "", {}, false}).status == 200);
    const auto ready = request(admin, {"GET", "/readyz", "", "", {}, false});
    CHECK(ready.status == 200);
    CHECK(ready.json().at("status") == "ok");
    const auto metrics = request(admin, {"GET", "/metrics", "", "", {}, false});
    CHECK(metrics.status == 200);
    CHECK(metrics.body.find("flowgate_webhooks_accepted_total") != std::string::npos);

    // The dashboard's files need no token (the page asks for it); the webhook port has none.
    const auto ui = request(admin, {"GET", "/ui/", "", "", {}, false});
    CHECK(ui.status == 200);
    CHECK(ui.headers.at("content-type") == "text/html; charset=utf-8");
    CHECK(ui.headers.at("content-security-policy") == "default-src 'self'");
    CHECK(request(admin, {"GET", "/ui/app.js", "", "", {}, false}).status == 200);
    CHECK(request(admin, {"GET", "/", "", "", {}, false}).status == 302);
    CHECK(request(hooks, {"GET", "/ui/", "", "", {}, false}).status == 404);

    const auto missing = request(admin, {"GET", "/api/v1/flows", "", "", {}, false});
    CHECK(missing.status == 401);
    CHECK(missing.json().at("error") == "unauthorized");
    const auto wrong = request(
        admin, {"GET", "/api/v1/flows", "", "", {{"Authorization", "Bearer wrong"}}, false});
    CHECK(wrong.status == 401);
    const auto token = EngineProcess::adminToken(config.dataDir());
    CHECK(token.size() == 64);
    const auto mode = std::filesystem::status(config.dataDir() / "admin-token").permissions() &
                      std::filesystem::perms::all;
    CHECK((mode == (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write)));
    CHECK(api(engine, config, "GET", "/api/v1/flows").status == 200);
    CHECK(api(engine, config, "GET", "/api/v1/flows/inbox/pause").status == 405);
    CHECK(api(engine, config, "GET", "/api/v1/dead-letters/replay").status == 405);
    CHECK(api(engine, config, "GET", "/api/v1/executions/nope").status == 404);
    CHECK(api(engine, config, "DELETE", "/api/v1/dead-letters/abc").status == 404);
    const auto badTime = api(engine, config, "GET", "/api/v1/executions?since=yesterday");
    CHECK(badTime.status == 400);
    CHECK(badTime.json().at("message").get<std::string>().find("since") != std::string::npos);
    CHECK(api(engine, config, "GET", "/api/v1/executions?limit=501").status == 400);
    CHECK(api(engine, config, "GET", "/api/v1/executions?cursor=zz").status == 400);
    CHECK(api(engine, config, "GET", "/api/v1/executions?status=odd").status == 400);
    CHECK(api(engine, config, "GET", "/api/v1/executions?bogus=1").status == 400);
    CHECK(api(engine, config, "POST", "/api/v1/dead-letters/replay", "[1]").status == 400);

    // Pages, newest first, with a cursor.
    std::vector<std::string> ids;
    for (int i = 0; i < 3; ++i)
        ids.push_back(postJson(hooks, "/hook/inbox", "{}").json().at("requestId"));
    auto page = api(engine, config, "GET", "/api/v1/executions?flow=inbox&limit=2").json();
    REQUIRE(page.at("items").size() == 2);
    CHECK(page["items"][0].at("requestId") == ids[2]);
    REQUIRE(page.at("nextCursor").is_string());
    page = api(engine, config, "GET",
               "/api/v1/executions?limit=2&cursor=" + page["nextCursor"].get<std::string>())
               .json();
    REQUIRE(page.at("items").size() == 1);
    CHECK(page["items"][0].at("requestId") == ids[0]);
    CHECK(page.at("nextCursor").is_null());

    const auto refused = runFlowgate("flows --admin-url http://127.0.0.1:" + std::to_string(admin) +
                                     " --token-file /dev/null");
    CHECK(refused.exitCode == 1);
    CHECK(refused.output == "flowgate: admin API at http://127.0.0.1:" + std::to_string(admin) +
                                " refused the token (401)\n");
}

TEST_CASE("admin: the CLI finds the admin port and token through --config", "[e2e][admin][cli]") {
    const int adminPort = freePort();
    TestConfig config(json{{"admin", {{"port", adminPort}}}});
    config.addFlow(loggerFlow("inbox", config.file("out.log")));
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile(), 0, adminPort);
    REQUIRE(engine.adminPort() == adminPort);
    const std::string configArg = " --config " + config.configDir().string();
    auto run = runFlowgate("flows" + configArg);
    INFO(run.output);
    CHECK(run.exitCode == 0);
    CHECK(run.output.find("FLOW") == 0);
    CHECK(run.output.find("inbox") != std::string::npos);
    run = runFlowgate("executions --json" + configArg);
    CHECK(run.exitCode == 0);
    CHECK(json::parse(run.output).at("items").empty());

    ::setenv("FLOWGATE_ADMIN_TOKEN", "wrong", 1);
    run = runFlowgate("flows" + configArg);
    ::unsetenv("FLOWGATE_ADMIN_TOKEN");
    CHECK(run.exitCode == 1);
    CHECK(run.output.find("refused the token (401)") != std::string::npos);
    run = runFlowgate("flows frobnicate" + configArg);
    CHECK(run.exitCode == 2);
}

TEST_CASE("admin: /readyz is 503 while the engine drains a step in flight", "[e2e][admin]") {
    TestConfig config(json{{"stopGraceMs", 10000}});
    config.addFlow({{"id", "slow"},
                    {"steps",
                     {{{"id", "nap"},
                       {"component", "testkit"},
                       {"function", "sleep"},
                       {"config", {{"ms", 3000}}}}}}});
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
    REQUIRE(postJson(engine.port(), "/hook/slow", "{}").status == 202);
    REQUIRE(eventually([&] {
        return request(engine.adminPort(), {"GET", "/readyz", "", "", {}, false})
                   .json()["queue"]["leased"] == 1;
    }));
    ::kill(engine.pid(), SIGTERM);
    REQUIRE(eventually(
        [&] {
            try {
                const auto res = request(engine.adminPort(), {"GET", "/readyz", "", "", {}, false});
                return res.status == 503 && res.json().at("status") == "draining";
            } catch (const std::exception&) {
                return false;
            }
        },
        std::chrono::seconds(5)));
    CHECK(request(engine.adminPort(), {"GET", "/livez", "", "", {}, false}).status == 200);
    CHECK(engine.terminate() == 0);
}

TEST_CASE("admin: no token on a non-loopback admin address refuses to start", "[e2e][admin][cli]") {
    TestConfig config(json{{"admin", {{"host", "0.0.0.0"}}}});
    const auto run =
        runFlowgate("run --port 0 --admin-port 0 --config " + config.configDir().string());
    INFO(run.output);
    CHECK(run.exitCode == 1);
    CHECK(run.output.find("admin.host 0.0.0.0 is not a loopback address") != std::string::npos);
}
