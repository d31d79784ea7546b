// ComponentRegistry: loading plugin directories, refusing bad plugins with messages that
// say which file and why, and keeping every other plugin.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "plugin/component_registry.hpp"
#include "plugin/plugin_library.hpp"
#include "support/build_paths.hpp"
#include "support/temp_dir.hpp"

namespace fs = std::filesystem;
using flowgate::plugin::ComponentRegistry;
using flowgate::plugin::engineAbiKey;
using flowgate::test::TempDir;
using nlohmann::json;

namespace {

const fs::path kPluginDir = flowgate::test::paths::pluginDir;
const fs::path kTestPluginDir = flowgate::test::paths::testPluginDir;

std::string joined(const std::vector<std::string>& errors) {
    std::string text;
    for (const auto& e : errors) text += e + "\n";
    return text;
}

std::vector<std::string> namesOf(const ComponentRegistry& registry) {
    std::vector<std::string> names;
    for (const auto& component : registry.all()) names.push_back(component->manifest.name);
    return names;
}

}  // namespace

TEST_CASE("registry loads the bundled plugins", "[plugin]") {
    ComponentRegistry registry;

    const auto errors = registry.loadDirectory(kPluginDir);

    INFO(joined(errors));
    CHECK(errors.empty());
    const auto names = namesOf(registry);
    CHECK(std::count(names.begin(), names.end(), "jq") == 1);
    CHECK(std::count(names.begin(), names.end(), "logger") == 1);
    auto jq = registry.find("jq");
    REQUIRE(jq);
    CHECK(jq->file == fs::weakly_canonical(kPluginDir / "libflowgate-jq.so"));
    CHECK(jq->function("transform") != nullptr);
    CHECK(jq->function("nope") == nullptr);
    CHECK(registry.find("nope") == nullptr);
}

TEST_CASE("registry loads a directory twice without duplicates", "[plugin]") {
    ComponentRegistry registry;
    REQUIRE(registry.loadDirectory(kPluginDir).empty());
    const auto loaded = registry.all().size();

    const auto again = registry.loadDirectory(kPluginDir);

    INFO(joined(again));
    CHECK(again.empty());
    CHECK(registry.all().size() == loaded);
}

TEST_CASE("registry refuses a plugin built for another ABI and loads the others", "[plugin]") {
    ComponentRegistry registry;

    const auto errors = registry.loadDirectory(kTestPluginDir);

    INFO(joined(errors));
    REQUIRE(errors.size() == 1);
    CHECK_THAT(errors[0], Catch::Contains("libflowgate-oldabi.so"));
    CHECK_THAT(errors[0], Catch::Contains("sdk=0.9;nlohmann=3.9.1"));
    CHECK_THAT(errors[0], Catch::Contains(engineAbiKey()));
    CHECK(registry.find("oldabi") == nullptr);
    CHECK(registry.find("testkit") != nullptr);
}

TEST_CASE("registry refuses a second plugin with the same component name", "[plugin]") {
    ComponentRegistry registry;
    REQUIRE(registry.loadDirectory(kPluginDir).empty());

    const auto errors = registry.loadDirectory(kTestPluginDir / "duplicate");

    INFO(joined(errors));
    REQUIRE(errors.size() == 1);
    const auto duplicate =
        fs::weakly_canonical(kTestPluginDir / "duplicate" / "libflowgate-duplicate-logger.so");
    const auto original = fs::weakly_canonical(kPluginDir / "libflowgate-logger.so");
    CHECK_THAT(errors[0], Catch::Contains("component 'logger'"));
    CHECK_THAT(errors[0], Catch::Contains(duplicate.string()));
    CHECK_THAT(errors[0], Catch::Contains(original.string()));
    CHECK(registry.find("logger")->file == original);  // the first one stays
}

TEST_CASE("registry reports files that are not plugins, and keeps going", "[plugin]") {
    TempDir dir;
    std::ofstream(dir / "garbage.so") << "this is not an ELF file";
    std::ofstream(dir / "empty.so");
    std::ofstream(dir / "notes.txt") << "not a .so: never opened";
    fs::copy_file(kTestPluginDir / "not-a-plugin" / "libflowgate-not-a-plugin.so",
                  dir / "libflowgate-not-a-plugin.so");
    fs::copy_file(kTestPluginDir / "libflowgate-testkit.so", dir / "libflowgate-testkit.so");
    ComponentRegistry registry;

    auto errors = registry.loadDirectory(dir.path());

    INFO(joined(errors));
    REQUIRE(errors.size() == 3);
    std::sort(errors.begin(), errors.end());
    CHECK_THAT(errors[0], Catch::Contains("empty.so: cannot load"));
    CHECK_THAT(errors[1], Catch::Contains("garbage.so: cannot load"));
    CHECK_THAT(errors[2], Catch::Contains("libflowgate-not-a-plugin.so: not a Flowgate plugin"));
    CHECK(registry.find("testkit") != nullptr);
}

TEST_CASE("registry reports a missing plugin directory", "[plugin]") {
    TempDir dir;
    ComponentRegistry registry;

    const auto errors = registry.loadDirectory(dir / "no-such-dir");

    REQUIRE(errors.size() == 1);
    CHECK_THAT(errors[0], Catch::Contains((dir / "no-such-dir").string()));
    CHECK_THAT(errors[0], Catch::Contains("No such file or directory"));
    CHECK(registry.all().empty());
}

TEST_CASE("registry createStep reports an unknown function", "[plugin]") {
    ComponentRegistry registry;
    REQUIRE(registry.loadFile(kTestPluginDir / "libflowgate-testkit.so").empty());

    auto created = registry.find("testkit")->createStep("nope", json::object());

    REQUIRE(std::holds_alternative<std::string>(created));
    CHECK(std::get<std::string>(created) == "component 'testkit' has no function 'nope'");
}
