// kill -9 under load: every request that got a 202 is processed, and no step that had
// completed runs again. Killed together (the whole process group, then a restart on the
// same data), the intake alone (the supervisor starts it again) or one worker alone (the
// intake replaces it).
#include <signal.h>

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/test_config.hpp"

using namespace flowgate::test;
using nlohmann::json;

namespace {

std::map<std::string, int> countByRequest(const std::filesystem::path& file) {
    std::map<std::string, int> counts;
    for (const auto& line : jsonLines(file)) ++counts[line.at("requestId").get<std::string>()];
    return counts;
}

}  // namespace

TEST_CASE("kill -9 under load loses no accepted request and repeats no completed step",
          "[e2e][crash]") {
    constexpr int kWorkers = 2, kBatch = 16;
    const std::string victim = GENERATE("process group", "intake", "worker");
    INFO("killed: " << victim);
    // A fixed port: a restarted intake must listen where the clients and the test look.
    const int port = freePort();
    TestConfig config(json{{"workers", {{"processes", kWorkers}, {"batch", kBatch}}},
                           {"http", {{"port", port}}}});
    const auto first = config.file("first.log"), last = config.file("last.log");
    auto logTo = [](const std::string& id, const std::filesystem::path& file) {
        return json{{"id", id},
                    {"component", "logger"},
                    {"function", "log"},
                    {"config", {{"file", file.string()}}}};
    };
    config.addFlow({{"id", "durable"},
                    {"steps",
                     {logTo("first", first),
                      {{"id", "shape"},
                       {"component", "jq"},
                       {"function", "transform"},
                       {"config", {{"expression", "{n: .n, doubled: (.n * 2)}"}}}},
                      logTo("last", last)}}});

    std::set<std::string> accepted;
    std::mutex acceptedMutex;
    std::optional<EngineProcess> engine;
    engine.emplace(config.configDir(), allPluginDirs(), config.logFile(), port);
    {
        std::atomic<bool> stop{false};
        std::vector<std::thread> clients;
        for (int c = 0; c < 8; ++c) {
            clients.emplace_back([&, c] {
                for (int i = 0; !stop; ++i) {
                    try {
                        const auto res =
                            postJson(port, "/hook/durable", json{{"n", c * 100000 + i}}.dump());
                        if (res.status != 202) continue;
                        std::lock_guard lock(acceptedMutex);
                        accepted.insert(res.json().at("requestId").get<std::string>());
                    } catch (const std::exception&) {
                        return;  // the engine is gone
                    }
                }
            });
        }
        // Kill while requests are arriving and steps are running.
        REQUIRE(eventually(
            [&] {
                std::lock_guard lock(acceptedMutex);
                return accepted.size() >= 600 && !countByRequest(last).empty();
            },
            std::chrono::seconds(60)));
        const pid_t intake = engine->intakePid();
        if (victim == "process group") {
            engine->kill9();
        } else if (victim == "intake") {
            REQUIRE(::kill(intake, SIGKILL) == 0);
        } else {
            const auto workers = engine->workerPids();
            REQUIRE(workers.size() == kWorkers);
            REQUIRE(::kill(workers.front(), SIGKILL) == 0);
        }
        stop = true;
        for (auto& t : clients) t.join();
        if (victim == "intake")
            CHECK(eventually(
                [&] { return engine->intakePid() > 0 && engine->intakePid() != intake; }));
    }
    INFO("accepted before the crash: " << accepted.size());

    if (victim == "process group") {
        engine.reset();
        engine.emplace(config.configDir(), allPluginDirs(), config.logFile(), port);
    }
    REQUIRE(eventually(
        [&] {
            const auto done = countByRequest(last);
            for (const auto& id : accepted)
                if (!done.count(id)) return false;
            return true;
        },
        std::chrono::seconds(90)));

    // A step re-runs only if it was in flight at the kill: at most one batch per worker,
    // and never twice for the same execution.
    for (const auto& file : {first, last}) {
        int repeats = 0;
        for (const auto& [id, count] : countByRequest(file)) {
            CHECK(count <= 2);
            repeats += count - 1;
        }
        INFO(file.filename() << " repeated steps: " << repeats);
        CHECK(repeats <= kWorkers * kBatch);
    }
    // Every step of every accepted execution ran: the first logger saw them all too.
    const auto firstCounts = countByRequest(first);
    for (const auto& id : accepted) CHECK(firstCounts.count(id) == 1);
}
