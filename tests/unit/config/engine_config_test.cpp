#include <cstdlib>

#include <catch2/catch.hpp>

#include "config/credential_store.hpp"
#include "config/engine_config.hpp"
#include "support/temp_dir.hpp"

using namespace flowgate;
using flowgate::test::TempDir;
using flowgate::test::writeFile;

TEST_CASE("engine.json is optional, paths resolve against the config directory", "[config]") {
    TempDir dir;
    config::ConfigErrors errors;
    auto defaults = config::loadEngineConfig(dir.path(), errors);
    CHECK(errors.empty());
    CHECK(defaults.http.port == 8080);
    CHECK(defaults.flowsDir == dir.path() / "flows");
    CHECK(defaults.reload.interval.count() == 2000);

    writeFile(dir / "engine.json", R"({"dataDir": "../q", "pluginPath": ["p1", "/abs"],
                                       "http": {"port": 9000, "maxBodyBytes": 10},
                                       "retry": {"maxAttempts": 2},
                                       "reload": {"intervalMs": 0}})");
    auto config = config::loadEngineConfig(dir.path(), errors);
    CHECK(errors.empty());
    CHECK(config.dataDir == (dir.path() / "../q").lexically_normal());
    CHECK(config.pluginPath == std::vector<std::filesystem::path>{dir.path() / "p1", "/abs"});
    CHECK(config.http.port == 9000);
    CHECK(config.http.maxBodyBytes == 10);
    CHECK(config.retry.maxAttempts == 2);
    CHECK(config.retry.initialDelay.count() == 1000);
    CHECK(config.reload.interval.count() == 0);  // polling off; SIGHUP still reloads
}

TEST_CASE("a bad engine.json names the file, the pointer and the reason", "[config]") {
    TempDir dir;
    writeFile(dir / "engine.json",
              R"({"http": {"port": "eighty"}, "wat": 1, "reload": {"intervalMs": -1}})");
    config::ConfigErrors errors;
    config::loadEngineConfig(dir.path(), errors);
    REQUIRE(errors.size() >= 2);
    bool port = false, unknown = false, reload = false;
    for (const auto& e : errors) {
        CHECK(e.file == (dir / "engine.json").string());
        port = port || e.pointer == "/http/port";
        reload = reload || e.pointer == "/reload/intervalMs";
        unknown = unknown || (e.pointer.empty() && e.reason == "unknown key 'wat'");
    }
    CHECK(port);
    CHECK(unknown);
    CHECK(reload);
}

TEST_CASE("retry delays double up to the cap, with jitter below the nominal delay",
          "[config]") {
    config::RetryPolicy policy;
    policy.initialDelay = std::chrono::milliseconds(100);
    policy.maxDelay = std::chrono::milliseconds(1000);
    for (int i = 0; i < 50; ++i) {
        auto first = policy.delayBeforeRetry(1).count();
        auto third = policy.delayBeforeRetry(3).count();
        auto tenth = policy.delayBeforeRetry(10).count();
        CHECK((first >= 80 && first <= 100));
        CHECK((third >= 320 && third <= 400));
        CHECK((tenth >= 800 && tenth <= 1000));
    }
}

TEST_CASE("credentials resolve secret references and never need them inline", "[config]") {
    TempDir dir;
    setenv("FLOWGATE_TEST_TOKEN", "from-env", 1);
    unsetenv("FLOWGATE_TEST_UNSET");
    writeFile(dir / "secret.txt", "from-file\n");
    writeFile(dir / "a.json", R"({"id": "a", "type": "apikey",
                                  "key": {"env": "FLOWGATE_TEST_TOKEN"},
                                  "nested": [{"file": "secret.txt"}]})");
    writeFile(dir / "b.json", R"({"id": "b", "type": "apikey", "key": {"env": "FLOWGATE_TEST_UNSET"}})");
    writeFile(dir / "c.json", R"({"id": "a", "type": "basic"})");
    config::ConfigErrors errors;
    const auto store = config::CredentialStore::load(dir.path(), errors);

    const auto* a = store.find("a");
    REQUIRE(a);
    CHECK(a->data.at("key") == "from-env");
    CHECK(a->data.at("nested").at(0) == "from-file");
    CHECK(store.find("b") == nullptr);
    REQUIRE(errors.size() == 2);
    CHECK(errors[0].pointer == "/key");
    CHECK(errors[0].reason == "environment variable FLOWGATE_TEST_UNSET is not set");
    CHECK(errors[1].reason.find("already defined in") != std::string::npos);
}

TEST_CASE("network.allowAddresses holds addresses and CIDR ranges", "[config][outbound]") {
    TempDir dir;
    writeFile(dir / "engine.json",
              R"({"network": {"allowPrivateAddresses": false,
                              "allowAddresses": ["127.0.0.1/32", "10.0.0.0/8", "::1", "fd00::/8"]}})");
    config::ConfigErrors errors;
    auto config = config::loadEngineConfig(dir.path(), errors);
    CHECK(errors.empty());
    CHECK(config.network.allowAddresses ==
          std::vector<std::string>{"127.0.0.1/32", "10.0.0.0/8", "::1", "fd00::/8"});

    writeFile(dir / "engine.json",
              R"({"network": {"allowAddresses": ["10.0.0.0/8", "10.0.0.0/33", "intranet", "::1/"]}})");
    errors.clear();
    config = config::loadEngineConfig(dir.path(), errors);
    REQUIRE(errors.size() == 3);
    CHECK(errors[0].file == (dir / "engine.json").string());
    CHECK(errors[0].pointer == "/network/allowAddresses/1");
    CHECK(errors[0].reason == "'10.0.0.0/33' is not an address or CIDR range");
    CHECK(errors[1].pointer == "/network/allowAddresses/2");
    CHECK(errors[2].pointer == "/network/allowAddresses/3");
    CHECK(config.network.allowAddresses == std::vector<std::string>{"10.0.0.0/8"});

    writeFile(dir / "engine.json", R"({"network": {"allowAddresses": "10.0.0.0/8"}})");
    errors.clear();
    config::loadEngineConfig(dir.path(), errors);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].pointer == "/network/allowAddresses");
}
