// One bad plugin never costs a 202: steps that abort, segfault, hang, throw or emit text
// that is not UTF-8 run beside a normal flow under load. Every normal request is accepted
// and processed, the intake never restarts, and each poison item ends in the dead letters
// after maxAttempts with a cause that names what happened.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>

#include "queue/sqlite_queue.hpp"
#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"
#include "support/test_config.hpp"

using namespace flowgate::test;
using nlohmann::json;

namespace {

json healthOf(int port) {
    return request(port, {"GET", "/readyz", "", "", {}, false}).json();
}

// One poison step; a step after it, so that what it emits is stored.
json poisonFlow(const std::string& function, std::optional<int> timeoutMs = std::nullopt) {
    json step = {{"id", "crash"}, {"component", "poison"}, {"function", function}};
    if (timeoutMs) step["timeoutMs"] = *timeoutMs;
    json after = {{"id", "after"}, {"component", "logger"}, {"function", "log"}};
    return {{"id", "poison-" + function}, {"steps", json::array({step, after})}};
}

json loggerFlow(const std::string& id, const std::filesystem::path& file) {
    return {{"id", id},
            {"steps",
             {{{"id", "log"},
               {"component", "logger"},
               {"function", "log"},
               {"config", {{"file", file.string()}}}}}}};
}

}  // namespace

TEST_CASE("poison steps cost only their own items, and end in the dead letters",
          "[e2e][isolation]") {
    TestConfig config(
        json{{"workers", {{"processes", 2}, {"batch", 4}}},
             {"retry", {{"maxAttempts", 2}, {"initialDelayMs", 20}, {"maxDelayMs", 50}}}});
    const auto normalLog = config.file("normal.log");
    config.addFlow(loggerFlow("normal", normalLog));
    for (const char* function : {"abort", "segfault", "throw", "bad-utf8"})
        config.addFlow(poisonFlow(function));
    config.addFlow(poisonFlow("hang", 1000));

    std::set<std::string> accepted;
    std::map<std::string, std::string> poisonIds;  // function -> requestId
    int refused = 0;
    std::mutex mutex;
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
    const pid_t intake = engine.intakePid();
    REQUIRE(intake > 0);
    {
        std::atomic<bool> stop{false};
        std::vector<std::thread> clients;
        for (int c = 0; c < 4; ++c) {
            clients.emplace_back([&, c] {
                for (int i = 0; !stop; ++i) {
                    const auto res =
                        postJson(engine.port(), "/hook/normal", json{{"n", c * 100000 + i}}.dump());
                    {
                        std::lock_guard lock(mutex);
                        if (res.status == 202)
                            accepted.insert(res.json().at("requestId").get<std::string>());
                        else
                            ++refused;
                    }
                    // A steady load, not a flood: the poison items must not wait behind a
                    // backlog the test made itself.
                    std::this_thread::sleep_for(std::chrono::milliseconds(10));
                }
            });
        }
        for (const char* function : {"abort", "segfault", "hang", "throw", "bad-utf8"}) {
            const auto res = postJson(engine.port(), std::string("/hook/poison-") + function, "{}");
            REQUIRE(res.status == 202);
            poisonIds[function] = res.json().at("requestId").get<std::string>();
        }
        // Keep the load on while the poison items crash, hang and fail their attempts.
        CHECK(eventually(
            [&] { return healthOf(engine.adminPort()).at("queue").at("deadLetters") == 5; },
            std::chrono::seconds(60)));
        stop = true;
        for (auto& t : clients) t.join();
    }
    CHECK(refused == 0);
    REQUIRE(accepted.size() > 100);
    INFO("normal requests accepted: " << accepted.size());
    CHECK(eventually([&] { return allLogged(accepted, normalLog); }, std::chrono::seconds(60)));

    // Still serving, with the same intake.
    const auto after = postJson(engine.port(), "/hook/normal", R"({"after": true})");
    REQUIRE(after.status == 202);
    const std::string afterId = after.json().at("requestId");
    CHECK(eventually([&] { return requestIdsIn(normalLog).count(afterId) == 1; }));
    CHECK(engine.intakePid() == intake);

    // The log names the flow, the step and the request of the item a dead worker held.
    const std::string log = readFile(config.logFile());
    CHECK(log.find("while running step `crash` of flow `poison-abort` (requestId " +
                   poisonIds["abort"] + ")") != std::string::npos);
    CHECK(log.find("retry in  ms") == std::string::npos);
    CHECK(log.find("the intake (pid") == std::string::npos);  // the supervisor never restarted it
    CHECK(engine.terminate() == 0);

    flowgate::queue::SqliteQueueOptions options;
    options.dataDir = config.dataDir();
    flowgate::queue::SqliteQueue queue(options);
    std::map<std::string, flowgate::queue::DeadLetter> letters;
    flowgate::queue::DeadLetterQuery all;
    all.limit = 100;
    for (const auto& letter : queue.deadLetterPage(all).items) letters[letter.flowId] = letter;
    REQUIRE(letters.size() == 5);
    const std::map<std::string, std::string> causes = {
        {"poison-abort",
         "worker exited on signal 6 (SIGABRT) while running step `crash` of "
         "flow `poison-abort`"},
        {"poison-segfault",
         "worker exited on signal 11 (SIGSEGV) while running step `crash` "
         "of flow `poison-segfault`"},
        {"poison-hang", "step `crash` of flow `poison-hang` exceeded its 1 s deadline"},
        {"poison-throw", "poison: thrown on purpose"},
        {"poison-bad-utf8", "UTF-8"},
    };
    for (const auto& [flow, cause] : causes) {
        INFO(flow << ": " << letters[flow].error);
        CHECK(letters[flow].attempts == 2);
        CHECK(letters[flow].error.find(cause) != std::string::npos);
    }
}

TEST_CASE("SIGTERM while a step hangs ends within the stop grace", "[e2e][isolation]") {
    TestConfig config(json{{"stopGraceMs", 1500}});
    config.addFlow(poisonFlow("hang", 600000));
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
    REQUIRE(postJson(engine.port(), "/hook/poison-hang", "{}").status == 202);
    REQUIRE(eventually([&] { return healthOf(engine.adminPort()).at("queue").at("leased") == 1; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the step has started

    const auto began = std::chrono::steady_clock::now();
    CHECK(engine.terminate(std::chrono::seconds(20)) == 0);
    const auto took = std::chrono::steady_clock::now() - began;
    CHECK(took < std::chrono::milliseconds(1500 + 3000));
    CHECK(readFile(config.logFile()).find("did not finish within the 1500 ms stop grace") !=
          std::string::npos);

    // Nothing acked is lost: the item is still stored, its attempt counted.
    flowgate::queue::SqliteQueueOptions options;
    options.dataDir = config.dataDir();
    flowgate::queue::SqliteQueue queue(options);
    // The failed attempt's retry delay (~20 ms) may outlast the engine's exit: wait for it.
    const auto items = queue.take(10, std::chrono::seconds(10), std::chrono::seconds(2));
    REQUIRE(items.size() == 1);
    CHECK(items[0].flowId == "poison-hang");
    CHECK(items[0].failedAttempts == 1);
}

namespace {

// The nice value of process `pid` (field 19 of /proc/pid/stat), -100 if it is gone.
int niceOf(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto afterName = stat.rfind(')');
    if (afterName == std::string::npos) return -100;
    std::istringstream fields(stat.substr(afterName + 2));
    std::string field;
    for (int i = 3; i <= 19 && fields >> field; ++i) {
        if (i == 19) return std::stoi(field);
    }
    return -100;
}

// The nice values of process `pid`'s threads named `name` (Linux keeps one per thread).
std::vector<int> threadNices(pid_t pid, const std::string& name) {
    std::vector<int> nices;
    std::error_code error;
    const auto tasks = "/proc/" + std::to_string(pid) + "/task";
    for (const auto& task : std::filesystem::directory_iterator(tasks, error)) {
        std::ifstream comm(task.path() / "comm");
        std::string threadName;
        if (!std::getline(comm, threadName) || threadName != name) continue;
        nices.push_back(niceOf(static_cast<pid_t>(std::stoi(task.path().filename().string()))));
    }
    return nices;
}

}  // namespace

TEST_CASE("workers run nicer than the intake, so webhooks go first on busy CPUs",
          "[e2e][isolation]") {
    const int configured = GENERATE(-1, 0, 7);  // -1: the default (19)
    const int increment = configured < 0 ? 19 : configured;
    INFO("workers.nice " << configured);
    json workers = {{"processes", 2}};
    if (configured >= 0) workers["nice"] = configured;
    TestConfig config(json{{"workers", workers}});
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
    const int intakeNice = niceOf(engine.intakePid());
    REQUIRE(intakeNice > -100);
    const int expected = std::min(19, intakeNice + increment);
    const auto niceWorkers = [&] {
        const auto pids = engine.workerPids();
        if (pids.size() != 2) return false;
        for (const pid_t pid : pids)
            if (niceOf(pid) != expected) return false;
        return true;
    };
    CHECK(eventually(niceWorkers));

    // In the intake, the threads that work for the workers (one link each) give way as
    // much as the workers do, the WAL checkpointer half as much; the webhook path not.
    const auto all = [](const std::vector<int>& nices, int value) {
        return !nices.empty() &&
               std::all_of(nices.begin(), nices.end(), [&](int n) { return n == value; });
    };
    CHECK(eventually([&] {
        const auto links = threadNices(engine.intakePid(), "fg-link");
        return links.size() == 2 && all(links, expected);
    }));
    CHECK(all(threadNices(engine.intakePid(), "fg-queue-ckpt"),
              std::min(19, intakeNice + (increment + 1) / 2)));
    CHECK(all(threadNices(engine.intakePid(), "fg-queue-writer"), intakeNice));
    CHECK(all(threadNices(engine.intakePid(), "fg-queue-sync"), intakeNice));
    CHECK(all(threadNices(engine.intakePid(), "fg-edge"), intakeNice));

    // A worker started again after a crash gets the same.
    const pid_t first = engine.workerPids().front();
    ::kill(first, SIGKILL);
    CHECK(eventually([&] {
        const auto pids = engine.workerPids();
        return std::find(pids.begin(), pids.end(), first) == pids.end() && niceWorkers();
    }));
    CHECK(niceOf(engine.intakePid()) == intakeNice);
    CHECK(engine.terminate() == 0);
}
