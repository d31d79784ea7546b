// End to end: flow files added, changed, broken and removed under a running engine are
// picked up without a restart (by polling, and at once on SIGHUP).
#include <catch2/catch.hpp>

#include <signal.h>

#include <filesystem>
#include <thread>

#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/test_config.hpp"

using namespace flowgate::test;
using nlohmann::json;

namespace {

// webhook -> jq stamps the version -> logger writes a JSON line to `out`
json versionedFlow(const std::string& id, int version, const std::filesystem::path& out) {
    return {{"id", id},
            {"steps",
             {{{"id", "stamp"},
               {"component", "jq"},
               {"function", "transform"},
               {"config", {{"expression", "{version: " + std::to_string(version) + "}"}}}},
              {{"id", "log"},
               {"component", "logger"},
               {"function", "log"},
               {"config", {{"file", out.string()}}}}}}};
}

int post(const EngineProcess& engine, const std::string& flow) {
    return postJson(engine.port(), "/hook/" + flow, "{}").status;
}

// Posts once and returns the version the flow stamped on it (0 if nothing was logged).
int versionAnswering(const EngineProcess& engine, const std::string& flow,
                     const std::filesystem::path& out) {
    const auto before = jsonLines(out).size();
    if (post(engine, flow) != 202) return 0;
    if (!eventually([&] { return jsonLines(out).size() > before; }, std::chrono::seconds(10)))
        return 0;
    return jsonLines(out).back().at("message").at("body").at("version").get<int>();
}

bool logContains(const TestConfig& config, const std::string& text) {
    return readFile(config.logFile()).find(text) != std::string::npos;
}

// The value of a Prometheus sample line "<name> <value>"; -1 if absent.
long metricValue(const std::string& text, const std::string& name) {
    const std::string prefix = "\n" + name + " ";
    const auto at = text.find(prefix);
    return at == std::string::npos ? -1 : std::stol(text.substr(at + prefix.size()));
}

const json kFastPolling = {{"reload", {{"intervalMs", 200}}}};

}  // namespace

TEST_CASE("flow files are picked up by a running engine", "[e2e][reload]") {
    TestConfig config(kFastPolling);
    const auto out = config.file("out.log");
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
    REQUIRE(post(engine, "orders") == 404);

    config.addFlow(versionedFlow("orders", 1, out));
    REQUIRE(eventually([&] { return post(engine, "orders") == 202; }, std::chrono::seconds(5)));
    REQUIRE(eventually([&] { return !jsonLines(out).empty(); }));
    CHECK(jsonLines(out).back().at("message").at("body").at("version") == 1);
    // The reload logs its summary just after the new flows answer: wait for the line.
    CHECK(eventually([&] { return logContains(config, "flows added: orders"); },
                     std::chrono::seconds(5)));

    SECTION("a changed flow answers with its new behaviour") {
        config.addFlow(versionedFlow("orders", 2, out));
        CHECK(eventually([&] { return versionAnswering(engine, "orders", out) == 2; },
                         std::chrono::seconds(10)));
        // Workers reload on their own: one may run the new version before the intake's
        // reload, which logs it, has come round.
        CHECK(eventually([&] { return logContains(config, "updated: orders"); },
                         std::chrono::seconds(5)));
    }
    SECTION("a broken edit is refused with file and pointer; the old version keeps answering") {
        json broken = versionedFlow("orders", 3, out);
        broken["steps"][0]["component"] = "no-such-component";
        config.addFlow(broken);
        const std::string file = (config.configDir() / "flows" / "orders.json").string();
        REQUIRE(eventually(
            [&] {
                return logContains(
                    config, file + ": /steps/0/component: unknown component 'no-such-component'");
            },
            std::chrono::seconds(5)));
        // The summary line comes after the error lines.
        CHECK(eventually(
            [&] { return logContains(config, "kept previous version (file refused): orders"); },
            std::chrono::seconds(5)));
        CHECK(versionAnswering(engine, "orders", out) == 1);

        SECTION("and fixing it afterwards takes the new version") {
            config.addFlow(versionedFlow("orders", 4, out));
            CHECK(eventually([&] { return versionAnswering(engine, "orders", out) == 4; },
                             std::chrono::seconds(10)));
        }
    }
    SECTION("a removed flow file stops the flow: 404") {
        std::filesystem::remove(config.configDir() / "flows" / "orders.json");
        CHECK(eventually([&] { return post(engine, "orders") == 404; }, std::chrono::seconds(5)));
        CHECK(eventually([&] { return logContains(config, "removed: orders"); },
                         std::chrono::seconds(5)));
    }
    SECTION("other flows are untouched by a broken new file") {
        writeFile(config.configDir() / "flows" / "bad.json", "{\"id\": ");
        REQUIRE(eventually([&] { return logContains(config, "bad.json: (document)"); },
                           std::chrono::seconds(5)));
        CHECK(versionAnswering(engine, "orders", out) == 1);
        const std::string metrics =
            request(engine.adminPort(), {"GET", "/metrics", "", "", {}, false}).body;
        // At least the two reloads above; a poll may also have caught a file half-written.
        CHECK(metricValue(metrics, "flowgate_reloads_total") >= 2);
        CHECK(metricValue(metrics, "flowgate_reload_failures_total") >= 1);
    }
    CHECK(engine.terminate() == 0);
}

TEST_CASE("SIGHUP reloads at once, even with a long poll interval", "[e2e][reload]") {
    TestConfig config(json{{"reload", {{"intervalMs", 600000}}}});
    const auto out = config.file("out.log");
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
    config.addFlow(versionedFlow("late", 1, out));
    // No poll for ten minutes: the file is not seen on its own.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    REQUIRE(post(engine, "late") == 404);

    ::kill(engine.pid(), SIGHUP);
    CHECK(eventually([&] { return post(engine, "late") == 202; }, std::chrono::seconds(3)));
    CHECK(eventually([&] { return logContains(config, "reload (SIGHUP)"); },
                     std::chrono::seconds(5)));
    CHECK(engine.terminate() == 0);  // SIGHUP did not stop it; SIGTERM still does
}
