// The command line as a user runs it: exit codes and what it prints.
#include <algorithm>
#include <cstdio>
#include <set>
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include "support/build_paths.hpp"
#include "support/cli_run.hpp"
#include "support/engine_process.hpp"
#include "support/test_config.hpp"

using namespace flowgate::test;
using nlohmann::json;

namespace {

std::string pluginArgs() {
    return std::string(" --plugins ") + flowgate::test::paths::pluginDir;
}

}  // namespace

TEST_CASE("flowgate validate lists every error and exits non-zero", "[cli]") {
    TestConfig config;
    config.addFlow({{"id", "ok"}, {"steps", {{{"id", "a"}, {"component", "logger"}, {"function", "log"}}}}});
    config.addFlow({{"id", "bad1"}, {"steps", {{{"id", "a"}, {"component", "ghost"}, {"function", "x"}}}}});
    config.addFlow({{"id", "bad2"},
                    {"steps", {{{"id", "a"}, {"component", "jq"}, {"function", "transform"},
                                {"config", {{"expression", 42}}}}}}});

    const auto run = runFlowgate("validate --config " + config.configDir().string() + pluginArgs());
    INFO(run.output);
    CHECK(run.exitCode == 1);
    CHECK(run.output.find("bad1.json: /steps/0/component: unknown component 'ghost'") != std::string::npos);
    CHECK(run.output.find("bad2.json: /steps/0/config/expression") != std::string::npos);
    CHECK(run.output.find("1 valid flow(s), 2 error(s)") != std::string::npos);
}

TEST_CASE("flowgate validate passes the shipped config", "[cli]") {
    const auto run = runFlowgate(std::string("validate --config ") +
                                 flowgate::test::paths::sourceDir + "/config" + pluginArgs());
    INFO(run.output);
    CHECK(run.exitCode == 0);
    CHECK(run.output.find(" 0 error(s)") != std::string::npos);
}

TEST_CASE("flowgate plugins lists components from their manifests", "[cli]") {
    const auto run = runFlowgate("plugins" + pluginArgs());
    INFO(run.output);
    CHECK(run.exitCode == 0);
    CHECK(run.output.find("jq.transform") != std::string::npos);
    CHECK(run.output.find("logger.log") != std::string::npos);
    CHECK(run.output.find("config schema: {") != std::string::npos);
    CHECK(run.output.find("webhook.wait") != std::string::npos);
    CHECK(run.output.find("outputs: default, timeout") != std::string::npos);
    CHECK(run.output.find("pauses the execution") != std::string::npos);
}

TEST_CASE("flowgate plugins --json describes every component for tools", "[cli]") {
    const auto run = runFlowgate("plugins --json" + pluginArgs());
    INFO(run.output);
    REQUIRE(run.exitCode == 0);
    const json listed = json::parse(run.output);
    CHECK(listed.at("refused").empty());
    json twitter;
    for (const auto& component : listed.at("components"))
        if (component.at("name") == "twitter") twitter = component;
    REQUIRE(twitter.is_object());
    CHECK(twitter.at("functions").at(0).at("name") == "post");
    CHECK(twitter.at("functions").at(0).at("credentialType") == "oauth1");
    CHECK(twitter.at("functions").at(0).at("configSchema").at("type") == "object");
    const json& oauth1 = twitter.at("credentialTypes").at(0);
    CHECK(oauth1.at("name") == "oauth1");
    CHECK(oauth1.at("schema").at("properties").at("consumerSecret").at("writeOnly") == true);

    // Which bundled functions the engine may chain after (FunctionSpec::pure).
    std::set<std::string> pure;
    for (const auto& component : listed.at("components"))
        for (const auto& function : component.at("functions"))
            if (function.at("pure") == true)
                pure.insert(component.at("name").get<std::string>() + "." +
                            function.at("name").get<std::string>());
    CHECK(pure == std::set<std::string>{"jq.filter", "jq.transform", "router.route", "split.split"});
}

TEST_CASE("flowgate plugins says in one line what is wrong with its config", "[cli]") {
    auto run = runFlowgate("plugins --config /nonexistent");
    CHECK(run.exitCode == 1);
    CHECK(run.output == "flowgate: --config /nonexistent: no such directory\n");

    TestConfig config(json{{"http", {{"hots", "x"}}}});
    run = runFlowgate("plugins --config " + config.configDir().string());
    INFO(run.output);
    CHECK(run.exitCode == 1);
    CHECK(run.output.find("engine.json: /http: unknown key 'hots'") != std::string::npos);
    CHECK(std::count(run.output.begin(), run.output.end(), '\n') == 1);

    run = runFlowgate("plugins --jsn");
    CHECK(run.exitCode == 2);
    CHECK(run.output == "flowgate: unknown option '--jsn' for plugins (see 'flowgate help')\n");

    // The build tree's binary is not installed: no lib/flowgate/plugins beside it.
    run = runFlowgate("plugins");
    CHECK(run.exitCode == 1);
    CHECK(run.output.find("give --plugins DIR or --config DIR") != std::string::npos);
}

TEST_CASE("bad command lines get one line and a non-zero exit", "[cli]") {
    auto run = runFlowgate("frobnicate");
    CHECK(run.exitCode == 2);
    CHECK(run.output == "flowgate: unknown command 'frobnicate' (see 'flowgate help')\n");
    run = runFlowgate("run --port http");
    CHECK(run.exitCode == 2);
    CHECK(run.output.find("--port needs a number") != std::string::npos);
    run = runFlowgate("version");
    CHECK(run.exitCode == 0);
    CHECK(run.output.find("ABI key: sdk=") != std::string::npos);
}

TEST_CASE("a second engine on the same data directory refuses to start", "[cli]") {
    TestConfig config;
    config.addFlow({{"id", "ok"}, {"steps", {{{"id", "a"}, {"component", "logger"}, {"function", "log"}}}}});
    EngineProcess running(config.configDir(), {flowgate::test::paths::pluginDir}, config.logFile());
    const auto second =
        runFlowgate("run --port 0 --config " + config.configDir().string() + pluginArgs());
    CHECK(second.exitCode == 1);
    CHECK(second.output.find("cannot open the queue") != std::string::npos);
    CHECK(running.terminate() == 0);
}
