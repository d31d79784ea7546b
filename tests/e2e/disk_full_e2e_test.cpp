// A full disk is an alarm, not a crash: the data directory is a small tmpfs, filled to the
// last byte while webhooks arrive. From then on only 503s, never a 202 for something not
// stored; the engine neither crashes nor stops, starts while the disk is full, and
// recovers by itself once space is freed; every request it acknowledged is processed.
#include <sys/mount.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/test_config.hpp"

using namespace flowgate::test;
using nlohmann::json;

namespace {

// A tmpfs mounted for the life of the object (the tests run as root: CI and the dev
// machines are containers where mount works; a failing mount fails the test).
class SmallTmpfs {
public:
    SmallTmpfs(const std::filesystem::path& dir, const char* size) : dir_(dir) {
        std::filesystem::create_directories(dir);
        const std::string options = std::string("size=") + size;
        if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) != 0)
            throw std::runtime_error("cannot mount a tmpfs on " + dir.string() + ": " +
                                     std::strerror(errno));
    }
    ~SmallTmpfs() { ::umount2(dir_.c_str(), MNT_DETACH); }

private:
    std::filesystem::path dir_;
};

// Writes `file` until the file system refuses another byte.
void fillUp(const std::filesystem::path& file) {
    std::FILE* out = std::fopen(file.c_str(), "ab");
    REQUIRE(out != nullptr);
    std::setvbuf(out, nullptr, _IONBF, 0);
    const std::string block(4096, 'x');
    while (std::fwrite(block.data(), 1, block.size(), out) == block.size()) {
    }
    while (std::fwrite("x", 1, 1, out) == 1) {
    }
    std::fclose(out);
}

std::string statusOf(int port) {
    return request(port, {"GET", "/readyz", "", "", {}, false}).json().at("status");
}

}  // namespace

TEST_CASE("a full disk gives 503s, no crash, and recovers by itself", "[e2e][disk]") {
    const int port = freePort();
    TestConfig config(json{{"disk", {{"minFreeBytes", 512 * 1024}, {"checkIntervalMs", 100}}},
                           {"http", {{"port", port}}}});
    SmallTmpfs tmpfs(config.dataDir(), "8m");
    const auto out = config.file("out.log");  // outside the tmpfs
    config.addFlow({{"id", "store"},
                    {"steps",
                     {{{"id", "log"},
                       {"component", "logger"},
                       {"function", "log"},
                       {"config", {{"file", out.string()}}}}}}});
    const auto filler = config.dataDir() / "filler";
    const std::string padding(900, 'p');

    std::set<std::string> accepted;
    std::mutex mutex;
    std::atomic<bool> full{false};
    std::atomic<int> acceptedWhileFull{0}, refusedWhileFull{0}, otherWhileFull{0};
    auto post = [&](int n) {
        const bool wasFull = full;  // read before sending: the answer is about a full disk
        const auto res = postJson(port, "/hook/store", json{{"n", n}, {"pad", padding}}.dump());
        if (res.status == 202) {
            std::lock_guard lock(mutex);
            accepted.insert(res.json().at("requestId").get<std::string>());
        }
        if (wasFull) {
            if (res.status == 202)
                ++acceptedWhileFull;
            else if (res.status == 503 && res.headers.count("retry-after"))
                ++refusedWhileFull;
            else
                ++otherWhileFull;
        }
        return res.status;
    };

    {
        EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile(), port);
        const pid_t intake = engine.intakePid();
        std::atomic<bool> stop{false};
        std::vector<std::thread> clients;
        for (int c = 0; c < 4; ++c)
            clients.emplace_back([&, c] {
                for (int i = 0; !stop; ++i) post(c * 1000000 + i);
            });
        REQUIRE(eventually([&] {
            std::lock_guard lock(mutex);
            return accepted.size() > 200;
        }));
        fillUp(filler);
        // The engine compacts its own files when it is idle (as it is while refusing
        // everything): keep eating what that frees, so the disk stays full.
        std::atomic<bool> keepFull{true};
        std::thread topUp([&] {
            while (keepFull) {
                fillUp(filler);
                std::this_thread::sleep_for(std::chrono::milliseconds(2));
            }
        });
        REQUIRE(eventually([&] { return statusOf(engine.adminPort()) == "disk-alarm"; },
                           std::chrono::seconds(10)));
        full = true;  // from here every answer must be a 503
        std::this_thread::sleep_for(std::chrono::seconds(1));
        stop = true;
        for (auto& t : clients) t.join();
        keepFull = false;
        topUp.join();
        // A 202 while full happens only when the engine itself freed space (idle
        // compaction of its files) and the alarm cleared; such a request was stored and
        // must be processed like any other (checked at the end).
        INFO("accepted while the disk was full: " << acceptedWhileFull);
        CHECK(acceptedWhileFull < refusedWhileFull);
        CHECK(otherWhileFull == 0);
        CHECK(refusedWhileFull > 0);
        CHECK(engine.intakePid() == intake);  // no crash
        CHECK(engine.terminate() == 0);
    }

    // A start on a full disk: it comes up and answers 503 until space returns. (Stopping
    // removed the queue's WAL, which freed space: fill that too.)
    const auto moreFiller = config.dataDir() / "filler-2";
    fillUp(moreFiller);
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile(), port);
    CHECK(post(-1) == 503);
    full = false;
    std::filesystem::remove(filler);
    std::filesystem::remove(moreFiller);
    REQUIRE(eventually([&] { return post(-2) == 202; }, std::chrono::seconds(20)));
    CHECK(statusOf(engine.adminPort()) == "ok");

    INFO("accepted: " << accepted.size());
    CHECK(eventually([&] { return allLogged(accepted, out); }, std::chrono::seconds(60)));
}
