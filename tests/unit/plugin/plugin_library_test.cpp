// Opening one plugin file: the ABI check, clean refusals, and the library's lifetime.
#include <dlfcn.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "flowgate/testkit.hpp"
#include "plugin/component_registry.hpp"
#include "plugin/plugin_library.hpp"
#include "support/build_paths.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using flowgate::plugin::ComponentRegistry;
using flowgate::plugin::engineAbiKey;
using flowgate::plugin::LoadedPlugin;
using flowgate::plugin::loadPlugin;
using flowgate::testkit::RecordingStepContext;
using flowgate::test::TempDir;
using nlohmann::json;

namespace {

const fs::path kTestPluginDir = flowgate::test::paths::testPluginDir;

std::string errorOf(const fs::path& file) {
    auto loaded = loadPlugin(file);
    REQUIRE(std::holds_alternative<std::string>(loaded));
    return std::get<std::string>(loaded);
}

// Whether the dynamic linker still has `file` mapped (asks without loading it).
bool isLoaded(const fs::path& file) {
    void* handle = dlopen(file.c_str(), RTLD_NOW | RTLD_NOLOAD);
    if (handle == nullptr) return false;
    dlclose(handle);
    return true;
}

}  // namespace

TEST_CASE("the engine ABI key names every part that must match", "[plugin]") {
    const std::string key = engineAbiKey();
    for (const char* part : {"sdk=2.2;", "nlohmann=3.11.2;", "json_diagnostics=", "compiler=",
                             "libstdc++=", "cxx11abi="})
        CHECK_THAT(key, Catch::Contains(part));
}

TEST_CASE("loadPlugin loads a plugin built with the engine's key", "[plugin]") {
    auto loaded = loadPlugin(kTestPluginDir / "libflowgate-testkit.so");

    REQUIRE(std::holds_alternative<LoadedPlugin>(loaded));
    CHECK(std::get<LoadedPlugin>(loaded).component->manifest().name == "testkit");
}

TEST_CASE("loadPlugin refuses another ABI key, naming both keys", "[plugin]") {
    const auto file = kTestPluginDir / "libflowgate-oldabi.so";

    const std::string error = errorOf(file);

    CHECK_THAT(error, Catch::StartsWith("plugin " + file.string() + " refused: built for SDK"));
    CHECK_THAT(error, Catch::Contains(
                          "(sdk=0.9;nlohmann=3.9.1;json_diagnostics=0;compiler=gcc-10;"
                          "libstdc++=10;cxx11abi=1)"));
    CHECK_THAT(error, Catch::EndsWith(std::string("(") + engineAbiKey() + ")"));
}

TEST_CASE("loadPlugin refuses files that are not plugins, without crashing", "[plugin]") {
    TempDir dir;
    std::ofstream(dir / "x.so") << "\x7f" "ELF but not really";

    CHECK_THAT(errorOf(dir / "x.so"), Catch::Contains("x.so: cannot load"));
    CHECK_THAT(errorOf(dir / "missing.so"), Catch::Contains("missing.so: cannot load"));
    CHECK_THAT(errorOf(kTestPluginDir / "not-a-plugin" / "libflowgate-not-a-plugin.so"),
               Catch::EndsWith("not a Flowgate plugin (no flowgate_plugin entry point)"));
}

TEST_CASE("a step keeps its plugin's library loaded after the registry is gone", "[plugin]") {
    const auto file = fs::weakly_canonical(kTestPluginDir / "libflowgate-testkit.so");
    std::shared_ptr<flowgate::Step> step;
    {
        ComponentRegistry registry;
        REQUIRE(registry.loadFile(file).empty());
        auto created = registry.find("testkit")->createStep("sleep", {{"ms", 0}});
        REQUIRE(std::holds_alternative<std::shared_ptr<flowgate::Step>>(created));
        step = std::get<std::shared_ptr<flowgate::Step>>(std::move(created));
    }  // the registry and every component pointer are gone

    REQUIRE(isLoaded(file));
    RecordingStepContext context;
    const auto result = step->execute(flowgate::Message{}, context);
    CHECK(result.ok);
    CHECK(context.emitted().size() == 1);

    step.reset();
    // Nothing else held it: the library really goes, so the check above was not luck.
    CHECK_FALSE(isLoaded(file));
}
