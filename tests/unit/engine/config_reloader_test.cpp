// The reloader on the calling thread (check()), against real plugin files copied into a
// plugin directory the way an operator drops them in.
#include <catch2/catch.hpp>

#include <thread>

#include "config/credential_store.hpp"
#include "engine/config_reloader.hpp"
#include "flow/flow_loader.hpp"
#include "support/build_paths.hpp"
#include "support/temp_dir.hpp"

using namespace flowgate;
using flowgate::test::TempDir;
using flowgate::test::writeFile;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// A config directory whose only watched plugin directory starts empty, and an engine
// state loaded from it the way Engine's constructor does.
struct ReloadFixture {
    TempDir dir;
    config::EngineConfig engine;
    plugin::ComponentRegistry components;
    flow::FlowCatalog catalog;
    cli::ReloadMetrics metrics;

    ReloadFixture() {
        fs::create_directories(dir / "plugins");
        fs::create_directories(dir / "config" / "flows");
        writeFile(dir / "config" / "engine.json",
                  json{{"pluginPath", {(dir / "plugins").string()}}}.dump());
        config::ConfigErrors errors;
        engine = config::loadEngineConfig(dir / "config", errors);
        REQUIRE(errors.empty());
        components.loadDirectory(
            flowgate::test::paths::pluginDir);  // logger, jq, ... (not watched)
    }

    void writeFlow(const std::string& name, const json& flow) {
        writeFile(engine.flowsDir / name, flow.dump());
    }
    void loadFlows() {
        config::ConfigErrors errors;
        auto credentials = config::CredentialStore::load(engine.credentialsDir, errors);
        catalog.replace(
            flow::loadFlows(engine.flowsDir, components, credentials, engine.retry).flows);
    }
};

json sleepFlow() {
    return {{"id", "sleepy"},
            {"steps",
             {{{"id", "s"},
               {"component", "testkit"},
               {"function", "sleep"},
               {"config", {{"ms", 1}}}}}}};
}

}  // namespace

TEST_CASE("a plugin dropped in is loaded once settled, and the flow waiting for it starts",
          "[reload]") {
    ReloadFixture f;
    f.writeFlow("sleepy.json", sleepFlow());
    f.loadFlows();
    REQUIRE(f.catalog.snapshot()->find("sleepy") == nullptr);  // unknown component
    cli::ConfigReloader reloader(f.engine, f.components, f.catalog, f.metrics);
    CHECK_FALSE(reloader.check(false));  // nothing changed

    const fs::path dropped = f.dir / "plugins" / "libflowgate-testkit.so";
    fs::copy_file(fs::path(flowgate::test::paths::testPluginDir) / "libflowgate-testkit.so",
                  dropped);
    // Seen for the first time: it might still be being copied, so it waits.
    CHECK_FALSE(reloader.check(false));
    CHECK(f.components.find("testkit") == nullptr);
    std::this_thread::sleep_for(cli::ConfigReloader::kPluginSettleTime +
                                std::chrono::milliseconds(50));
    CHECK(reloader.check(false));
    CHECK(f.components.find("testkit") != nullptr);
    auto flow = f.catalog.snapshot()->find("sleepy");
    REQUIRE(flow);
    CHECK(flow->steps.at(0).step != nullptr);
    CHECK(f.metrics.reloads == 1);
    CHECK(f.metrics.failures == 0);

    SECTION("a changed file of a loaded plugin is not reloaded: running flows stay as they are") {
        fs::last_write_time(dropped, fs::last_write_time(dropped) + std::chrono::seconds(5));
        CHECK(reloader.check(true));
        CHECK(f.catalog.snapshot()->find("sleepy") == flow);  // the same object
        CHECK(f.components.find("testkit")->file == fs::weakly_canonical(dropped));
    }
    SECTION("nothing changed: no reload") {
        CHECK_FALSE(reloader.check(false));
        CHECK(f.metrics.reloads == 1);
    }
}

TEST_CASE("a forced reload loads a new plugin file at once", "[reload]") {
    ReloadFixture f;
    f.writeFlow("sleepy.json", sleepFlow());
    f.loadFlows();
    cli::ConfigReloader reloader(f.engine, f.components, f.catalog, f.metrics);
    fs::copy_file(fs::path(flowgate::test::paths::testPluginDir) / "libflowgate-testkit.so",
                  f.dir / "plugins" / "libflowgate-testkit.so");
    CHECK(reloader.check(true));
    CHECK(f.catalog.snapshot()->find("sleepy") != nullptr);
}

TEST_CASE("a refused plugin file is tried again once it changes", "[reload]") {
    ReloadFixture f;
    cli::ConfigReloader reloader(f.engine, f.components, f.catalog, f.metrics);
    const fs::path file = f.dir / "plugins" / "libflowgate-late.so";
    writeFile(file, "not a library yet");
    CHECK(reloader.check(true));
    CHECK(f.metrics.failures == 1);
    CHECK_FALSE(reloader.check(false));  // the same refused file is not retried

    fs::remove(file);
    fs::copy_file(fs::path(flowgate::test::paths::testPluginDir) / "libflowgate-testkit.so", file);
    CHECK(reloader.check(true));
    CHECK(f.components.find("testkit") != nullptr);
    CHECK(f.metrics.failures == 1);
}

TEST_CASE("the reload thread answers a request at once even with polling off", "[reload]") {
    ReloadFixture f;
    writeFile(f.dir / "config" / "engine.json",
              json{{"pluginPath", {(f.dir / "plugins").string()}}, {"reload", {{"intervalMs", 0}}}}
                  .dump());
    config::ConfigErrors errors;
    f.engine = config::loadEngineConfig(f.dir / "config", errors);
    REQUIRE(f.engine.reload.interval.count() == 0);
    cli::ConfigReloader reloader(f.engine, f.components, f.catalog, f.metrics);
    reloader.start();
    f.writeFlow("logged.json",
                {{"id", "logged"},
                 {"steps", {{{"id", "l"}, {"component", "logger"}, {"function", "log"}}}}});
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(f.catalog.snapshot()->find("logged") == nullptr);  // no polling
    reloader.requestReload();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!f.catalog.snapshot()->find("logged") && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHECK(f.catalog.snapshot()->find("logged") != nullptr);
    reloader.stop();
}
