// End to end for plugin authors: install Flowgate, build the sample plugin and its unit
// test out of tree against the installed SDK only, drop the plugin into a running engine,
// run a flow through it; and a plugin using the installed outbound client, refused an
// internal address exactly as the bundled http step is.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <regex>

#include "support/build_paths.hpp"
#include "support/cli_run.hpp"
#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/local_http_server.hpp"
#include "support/test_config.hpp"

using namespace flowgate::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const fs::path kSample =
    fs::path(flowgate::test::paths::sourceDir) / "sdk" / "examples" / "shout-plugin";
const fs::path kFetch =
    fs::path(flowgate::test::paths::sourceDir) / "tests" / "fixtures" / "outside-fetch-plugin";

// Runs a command (through the shell); its output goes to `log`, shown if it fails.
void run(const std::string& command, const fs::path& log) {
    const int status = std::system((command + " >>'" + log.string() + "' 2>&1").c_str());
    INFO(command << "\n" << readFile(log));
    REQUIRE(status == 0);
}

std::string quoted(const fs::path& path) {
    return "'" + path.string() + "'";
}

// Installs the build tree under `prefix` (once per test run: both tests use it).
void install(const fs::path& prefix, const fs::path& log) {
    run(quoted(flowgate::test::paths::cmake) + " --install " +
            quoted(flowgate::test::paths::buildDir) + " --prefix " + quoted(prefix),
        log);
}

// Configures and builds `source` against the SDK installed under `prefix`.
void buildAgainst(const fs::path& source, const fs::path& build, const fs::path& prefix,
                  const fs::path& log) {
    const std::string cmake = quoted(flowgate::test::paths::cmake);
    run(cmake + " -S " + quoted(source) + " -B " + quoted(build) +
            " -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_PREFIX_PATH=" + quoted(prefix),
        log);
    run(cmake + " --build " + quoted(build), log);
}

// The error a flow's dead-lettered step was logged with ("...: dead-lettered: <error>").
std::string deadLetterError(const std::string& log, const std::string& flow) {
    const std::regex line("flow " + flow + " step [^\\n]*dead-lettered: ([^\\n]*)");
    std::smatch match;
    return std::regex_search(log, match, line) ? match[1].str() : std::string();
}

}  // namespace

TEST_CASE("a plugin built against the installed SDK is picked up by a running engine",
          "[e2e][sdk]") {
    TestConfig config(json{{"reload", {{"intervalMs", 200}}}});
    const fs::path prefix = config.file("prefix");
    const fs::path build = config.file("shout-build");
    const fs::path drop = config.file("dropped-plugins");
    const fs::path log = config.file("build.log");
    fs::create_directories(drop);
    install(prefix, log);
    for (const char* installed : {"bin/flowgate", "include/flowgate/plugin.hpp",
                                  "include/flowgate/testkit.hpp",
                                  "include/flowgate/outbound_http/outbound_http.hpp",
                                  "include/flowgate/common/address_range.hpp",
                                  "lib/cmake/FlowgateSDK/FlowgateSDKConfig.cmake",
                                  "lib/cmake/FlowgateSDK/FlowgateSDKConfigVersion.cmake",
                                  "lib/cmake/FlowgateSDK/FlowgateSDKTargets.cmake",
                                  "lib/cmake/FlowgateSDK/FlowgateOutboundTargets.cmake",
                                  "lib/cmake/FlowgateSDK/FlowgatePlugin.cmake",
                                  "lib/flowgate/plugins/libflowgate-logger.so"}) {
        INFO(installed);
        CHECK(fs::exists(prefix / installed));
    }
    CHECK_FALSE(fs::exists(prefix / "lib/flowgate/plugins/libflowgate-testkit.so"));

    // The sample plugin and its unit test, built and run against the installed SDK only.
    buildAgainst(kSample, build, prefix, log);
    run("cd " + quoted(build) + " && ctest --output-on-failure", log);
    CHECK(readFile(log).find("100% tests passed") != std::string::npos);
    const fs::path built = build / "libflowgate-shout.so";
    REQUIRE(fs::exists(built));

    const auto out = config.file("out.log");
    config.addFlow({{"id", "loud"},
                    {"steps",
                     {{{"id", "mark"}, {"component", "shout"}, {"function", "mark"}},
                      {{"id", "log"},
                       {"component", "logger"},
                       {"function", "log"},
                       {"config", {{"file", out.string()}}}}}}});
    // The engine runs with the installed bundled plugins and the (empty) drop directory.
    EngineProcess engine(config.configDir(), {prefix / "lib/flowgate/plugins", drop},
                         config.logFile());
    REQUIRE(postJson(engine.port(), "/hook/loud", "{}").status == 404);  // unknown component

    // Copied under another name, then renamed: the engine never sees a half-written file.
    fs::copy_file(built, drop / "libflowgate-shout.so.part");
    fs::rename(drop / "libflowgate-shout.so.part", drop / "libflowgate-shout.so");
    REQUIRE(eventually(
        [&] { return postJson(engine.port(), "/hook/loud", R"({"a":1})").status == 202; },
        std::chrono::seconds(5)));
    REQUIRE(eventually([&] { return !jsonLines(out).empty(); }));
    CHECK(jsonLines(out).at(0).at("message").at("body") == json{{"a", 1}, {"shout", true}});
    const std::string log_ = readFile(config.logFile());
    CHECK(log_.find("components added: shout") != std::string::npos);
    CHECK(log_.find("flows added: loud") != std::string::npos);
    CHECK(engine.terminate() == 0);

    // The installed binary finds its own plugins.
    const auto listed = runFlowgate("plugins --json", prefix / "bin/flowgate");
    INFO(listed.output);
    CHECK(listed.exitCode == 0);
    CHECK(listed.output.find("\"name\": \"logger\"") != std::string::npos);
}

TEST_CASE("a plugin using the installed outbound client is refused an internal address as "
          "the bundled http step is",
          "[e2e][sdk]") {
    TestConfig config;  // engine.json without network settings: internal addresses refused
    const fs::path prefix = config.file("prefix");
    const fs::path build = config.file("fetch-build");
    const fs::path drop = config.file("dropped-plugins");
    const fs::path log = config.file("build.log");
    fs::create_directories(drop);
    install(prefix, log);
    buildAgainst(kFetch, build, prefix, log);
    fs::copy_file(build / "libflowgate-fetch.so", drop / "libflowgate-fetch.so");

    LocalHttpServer target(echoHandler());  // on 127.0.0.1: internal
    const json once = {{"maxAttempts", 1}};
    config.addFlow({{"id", "outside"},
                    {"retry", once},
                    {"steps",
                     {{{"id", "get"},
                       {"component", "fetch"},
                       {"function", "get"},
                       {"config", {{"url", target.url("/x")}}}}}}});
    config.addFlow({{"id", "bundled"},
                    {"retry", once},
                    {"steps",
                     {{{"id", "get"},
                       {"component", "http"},
                       {"function", "request"},
                       {"config", {{"url", target.url("/x")}, {"method", "GET"}}}}}}});
    EngineProcess engine(config.configDir(), {prefix / "lib/flowgate/plugins", drop},
                         config.logFile());
    REQUIRE(postJson(engine.port(), "/hook/outside", "{}").status == 202);
    REQUIRE(postJson(engine.port(), "/hook/bundled", "{}").status == 202);
    REQUIRE(eventually([&] {
        return request(engine.adminPort(), {"GET", "/readyz", "", "", {}, false})
                   .json()
                   .at("queue")
                   .at("deadLetters") == 2;
    }));
    const std::string engineLog = readFile(config.logFile());
    INFO(engineLog);
    const std::string outside = deadLetterError(engineLog, "outside");
    CHECK(outside.find("is the internal address 127.0.0.1") != std::string::npos);
    CHECK(outside == deadLetterError(engineLog, "bundled"));
    CHECK(target.connections() == 0);
    CHECK(engine.terminate() == 0);
}

TEST_CASE("README's 'Write a plugin' shows the sample plugin exactly as the test builds it",
          "[sdk]") {
    const std::string readme = readFile(fs::path(flowgate::test::paths::sourceDir) / "README.md");
    for (const char* file : {"shout.cpp", "shout_test.cpp", "CMakeLists.txt"}) {
        INFO(file);
        CHECK(readme.find(readFile(kSample / file)) != std::string::npos);
    }
}
