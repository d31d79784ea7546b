// The shipped example flows on a distributed engine: 2 `flowgate ingress` and 3
// `flowgate worker` processes sharing a private RabbitMQ and PostgreSQL, from a copy of
// the real config directory with the real plugins. Calls go to either ingress; any
// worker host runs any step.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "distributed/shared_broker.hpp"
#include "support/build_paths.hpp"
#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/postgres_server.hpp"
#include "support/role_process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_config.hpp"

using namespace flowgate::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// config/ with engine.json pointing at the shared servers, the webhook address of the
// flows that call the engine itself (forward.json: 127.0.0.1:8080) at `ingressPort`, and
// resume URLs made by worker hosts at `publicPort`.
fs::path distributedConfig(const TempDir& dir, int ingressPort, int publicPort) {
    const fs::path config = dir / "config";
    fs::copy(fs::path(flowgate::test::paths::sourceDir) / "config", config,
             fs::copy_options::recursive);
    for (const auto& entry : fs::directory_iterator(config / "flows")) {
        std::string text = readFile(entry.path());
        for (std::size_t at; (at = text.find("127.0.0.1:8080")) != std::string::npos;)
            text.replace(at, 14, "127.0.0.1:" + std::to_string(ingressPort));
        std::ofstream(entry.path()) << text;
    }
    json engine = json::parse(readFile(config / "engine.json"));
    engine["queue"] = {
        {"type", "rabbitmq"}, {"url", sharedBroker().url()}, {"prefix", uniqueName("e2e")}};
    engine["state"] = {{"type", "postgres"}, {"url", PostgresServer::shared().createSchema()}};
    engine["publicBaseUrl"] = "http://127.0.0.1:" + std::to_string(publicPort);
    engine["retry"] = {{"maxAttempts", 3}, {"initialDelayMs", 100}, {"maxDelayMs", 1000}};
    engine["workers"] = {{"processes", 1}, {"batch", 8}};
    std::ofstream(config / "engine.json") << engine.dump(2);
    return config;
}

HttpResult get(int port, const std::string& path) {
    return request(port, {"GET", path, "", "", {}, false});
}

}  // namespace

TEST_CASE("the example flows run on 2 ingresses and 3 worker hosts", "[e2e][distributed]") {
    TempDir dir;
    const int port1 = freePort();
    const int port2 = freePort();
    const fs::path config = distributedConfig(dir, port1, port2);
    const fs::path log = dir / "workers.log";  // every worker host appends here
    RoleProcess ingress1("ingress", config, dir / "data-i1", dir / "ingress1.log", port1);
    RoleProcess ingress2("ingress", config, dir / "data-i2", dir / "ingress2.log", port2);
    std::vector<std::unique_ptr<RoleProcess>> workers;
    for (int i = 0; i < 3; ++i)
        workers.push_back(std::make_unique<RoleProcess>("worker", config,
                                                        dir / ("data-w" + std::to_string(i)), log));

    // hello: accepted at one ingress, run by some worker host.
    REQUIRE(postJson(port1, "/hook/hello", R"({"title":"Flowgate"})").status == 202);
    REQUIRE(eventually([&] { return engineLogLines(log, "hello/log").size() == 1; }));
    CHECK(engineLogLines(log, "hello/log")[0].at("message").at("body").at("greeting") ==
          "Hello, Flowgate!");

    // echo: a sync flow; the reply comes from a worker host through the broker.
    for (int port : {port1, port2}) {
        const auto answer = postJson(port, "/hook/echo", R"({"a":1,"b":2})");
        REQUIRE(answer.status == 200);
        CHECK(answer.json() == json{{"echo", {{"a", 1}, {"b", 2}}}, {"keys", {"a", "b"}}});
    }

    // orders and order-lines: routing, and a split into one item per line.
    REQUIRE(postJson(port2, "/hook/orders", R"({"id":1,"priority":"high","total":5000})").status ==
            202);
    REQUIRE(postJson(port1, "/hook/orders", R"({"id":3,"total":20})").status == 202);
    REQUIRE(postJson(port2, "/hook/order-lines",
                     R"({"order":7,"items":[{"sku":"a","qty":1},{"sku":"b","qty":2}]})")
                .status == 202);
    REQUIRE(eventually([&] {
        return engineLogLines(log, "orders/log-urgent").size() == 1 &&
               engineLogLines(log, "orders/log-standard").size() == 1 &&
               engineLogLines(log, "order-lines/log-line").size() == 2;
    }));
    std::set<std::string> skus;
    for (const auto& line : engineLogLines(log, "order-lines/log-line"))
        skus.insert(line.at("message").at("body").at("sku").get<std::string>());
    CHECK(skus == std::set<std::string>{"a", "b"});

    // forward: a worker's http step calls ingress 1's hello webhook.
    REQUIRE(postJson(port2, "/hook/forward", R"({"title":"relay"})").status == 202);
    REQUIRE(eventually([&] {
        return engineLogLines(log, "forward/log").size() == 1 &&
               engineLogLines(log, "hello/log").size() == 2;
    }));
    CHECK(engineLogLines(log, "forward/log")[0]
              .at("message")
              .at("body")
              .at("response")
              .at("status") == 202);

    // approval: parked in the shared state; resumed through the other ingress.
    REQUIRE(postJson(port1, "/hook/approval", R"({"expense":120})").status == 202);
    REQUIRE(eventually([&] { return engineLogLines(log, "approval/ask").size() == 1; }));
    const std::string url =
        engineLogLines(log, "approval/ask")[0].at("message").at("meta").at("resumeUrl");
    CHECK(url.rfind("http://127.0.0.1:" + std::to_string(port2) + "/resume/", 0) == 0);
    const std::string path = url.substr(url.find("/resume/"));
    REQUIRE(eventually([&] {
        return get(ingress2.adminPort(), "/readyz").json().at("queue").at("waiting") == 1;
    }));
    REQUIRE(get(port2, path + "?decision=yes").status == 202);
    REQUIRE(eventually([&] { return engineLogLines(log, "approval/answered").size() == 1; }));
    CHECK(engineLogLines(log, "approval/answered")[0].at("message").at("body") ==
          json{{"decision", "yes"}});
    // A second resume of the same wait is refused, whichever ingress it reaches.
    CHECK(get(port1, path + "?decision=no").status != 202);

    // dedupe: one delivery id sent to both ingresses is one execution.
    HttpCall call{"POST",
                  "/hook/hello",
                  R"({"title":"once"})",
                  "application/json",
                  {{"webhook-id", "msg_dedupe_across_ingresses"}},
                  false};
    const auto first = request(port1, call);
    const auto second = request(port2, call);
    REQUIRE(first.status == 202);
    REQUIRE(second.status / 100 == 2);
    CHECK(second.json().at("requestId") == first.json().at("requestId"));
    REQUIRE(eventually([&] { return engineLogLines(log, "hello/log").size() == 3; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    CHECK(engineLogLines(log, "hello/log").size() == 3);

    // The history is shared: ingress 2's admin API shows what ingress 1 accepted.
    const std::string token = EngineProcess::adminToken(dir / "data-i2");
    HttpCall list{"GET", "/api/v1/executions?flow=hello",        "",
                  "",    {{"Authorization", "Bearer " + token}}, false};
    const auto executions = request(ingress2.adminPort(), list);
    REQUIRE(executions.status == 200);
    CHECK(executions.json().at("items").size() == 3);
}

TEST_CASE("ingress and worker refuse to start without a distributed backend, in one line") {
    TempDir dir;
    writeFile(dir / "config" / "engine.json", "{}");
    writeFile(dir / "bad" / "engine.json",
              R"({"queue": {"type": "rabbitmq", "url": "amqp://u:hunter2@127.0.0.1:1/"}})");
    auto run = [&](const std::string& command, const std::string& config) {
        const std::string line = std::string(flowgate::test::paths::binary) + " " + command +
                                 " --config " + (dir / config).string() + " --data " +
                                 (dir / "data").string() + " --port 0 --admin-port 0 2>&1";
        FILE* pipe = ::popen(line.c_str(), "r");
        std::string output;
        char buffer[4096];
        for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;)
            output.append(buffer, n);
        const int status = ::pclose(pipe);
        return std::make_pair(WEXITSTATUS(status), output);
    };
    const auto [ingressStatus, ingressOutput] = run("ingress", "config");
    CHECK(ingressStatus != 0);
    CHECK(ingressOutput.find("ingress needs a distributed backend") != std::string::npos);
    const auto [workerStatus, workerOutput] = run("worker", "bad");
    CHECK(workerStatus != 0);
    CHECK(workerOutput.find("/state: the rabbitmq queue needs shared state") != std::string::npos);
    CHECK(workerOutput.find("hunter2") == std::string::npos);
}
