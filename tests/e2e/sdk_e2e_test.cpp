// End to end for plugin authors: install Flowgate, build the sample plugin out of tree
// against the installed SDK, drop it into a running engine, run a flow through it.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/test_config.hpp"

using namespace flowgate::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const fs::path kSample = fs::path(FLOWGATE_SOURCE_DIR) / "sdk" / "examples" / "shout-plugin";

// Runs a command (through the shell); its output goes to `log`, shown if it fails.
void run(const std::string& command, const fs::path& log) {
    const int status = std::system((command + " >>'" + log.string() + "' 2>&1").c_str());
    INFO(command << "\n" << readFile(log));
    REQUIRE(status == 0);
}

std::string quoted(const fs::path& path) {
    return "'" + path.string() + "'";
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
    const std::string cmake = quoted(FLOWGATE_CMAKE);

    run(cmake + " --install " + quoted(FLOWGATE_BUILD_DIR) + " --prefix " + quoted(prefix), log);
    for (const char* installed : {"bin/flowgate", "include/flowgate/plugin.hpp",
                                  "lib/cmake/FlowgateSDK/FlowgateSDKConfig.cmake",
                                  "lib/cmake/FlowgateSDK/FlowgateSDKConfigVersion.cmake",
                                  "lib/cmake/FlowgateSDK/FlowgateSDKTargets.cmake",
                                  "lib/cmake/FlowgateSDK/FlowgatePlugin.cmake",
                                  "lib/flowgate/plugins/libflowgate-logger.so"}) {
        INFO(installed);
        CHECK(fs::exists(prefix / installed));
    }
    CHECK_FALSE(fs::exists(prefix / "lib/flowgate/plugins/libflowgate-testkit.so"));

    run(cmake + " -S " + quoted(kSample) + " -B " + quoted(build) +
            " -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_PREFIX_PATH=" + quoted(prefix),
        log);
    run(cmake + " --build " + quoted(build), log);
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
}

TEST_CASE("README's 'Write a plugin' shows the sample plugin exactly as the test builds it",
          "[sdk]") {
    const std::string readme = readFile(fs::path(FLOWGATE_SOURCE_DIR) / "README.md");
    for (const char* file : {"shout.cpp", "CMakeLists.txt"}) {
        INFO(file);
        CHECK(readme.find(readFile(kSample / file)) != std::string::npos);
    }
}
