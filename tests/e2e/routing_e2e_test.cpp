// End to end: router and split steps in the real engine, over real HTTP, with the real
// plugins.
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/test_config.hpp"

using namespace flowgate::test;
using nlohmann::json;

namespace {

json loggerTo(const std::string& id, const std::filesystem::path& file) {
    return {{"id", id},
            {"component", "logger"},
            {"function", "log"},
            {"config", {{"file", file.string()}}},
            {"next", nullptr}};
}

std::vector<json> bodiesIn(const std::filesystem::path& file) {
    std::vector<json> bodies;
    for (const auto& line : jsonLines(file)) bodies.push_back(line.at("message").at("body"));
    return bodies;
}


}  // namespace

TEST_CASE("a router sends each message to its branch's logger, or to the default",
          "[e2e][router]") {
    TestConfig config;
    const auto big = config.file("big.log"), eu = config.file("eu.log"),
               rest = config.file("rest.log");
    config.addFlow({{"id", "orders"},
                    {"steps",
                     {{{"id", "route"},
                       {"component", "router"},
                       {"function", "route"},
                       {"config",
                        {{"branches",
                          {{{"name", "big"}, {"condition", ".amount >= 1000"}},
                           {{"name", "eu"}, {"condition", ".country == \"DE\""}}}},
                         {"default", "rest"}}},
                       {"next", {{"big", "log-big"}, {"eu", "log-eu"}, {"rest", "log-rest"}}}},
                      loggerTo("log-big", big),
                      loggerTo("log-eu", eu),
                      loggerTo("log-rest", rest)}}});
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());

    const std::vector<json> posted = {{{"n", 1}, {"amount", 5000}, {"country", "DE"}},
                                      {{"n", 2}, {"amount", 10}, {"country", "DE"}},
                                      {{"n", 3}, {"amount", 10}, {"country", "US"}},
                                      {{"n", 4}, {"amount", 2000}, {"country", "US"}}};
    for (const auto& body : posted)
        REQUIRE(postJson(engine.port(), "/hook/orders", body.dump()).status == 202);

    REQUIRE(eventually([&] {
        return jsonLines(big).size() + jsonLines(eu).size() + jsonLines(rest).size() == 4;
    }));
    auto ns = [](const std::vector<json>& bodies) {
        std::set<int> n;
        for (const auto& body : bodies) n.insert(body.at("n").get<int>());
        return n;
    };
    // Mode "first": n=1 matches both branches and goes to "big" only.
    CHECK(ns(bodiesIn(big)) == std::set<int>{1, 4});
    CHECK(ns(bodiesIn(eu)) == std::set<int>{2});
    CHECK(ns(bodiesIn(rest)) == std::set<int>{3});
    CHECK(bodiesIn(rest).at(0) == posted[2]);  // routed unchanged
}

TEST_CASE("split sends one message per element down the flow, each with its own id",
          "[e2e][split]") {
    TestConfig config;
    const auto out = config.file("lines.log");
    config.addFlow({{"id", "lines"},
                    {"steps",
                     {{{"id", "split"},
                       {"component", "split"},
                       {"function", "split"},
                       {"config", {{"path", "/order/items"}}}},
                      // A step after the split emits once per element: the engine must
                      // still give every message its own id.
                      {{"id", "shape"},
                       {"component", "jq"},
                       {"function", "transform"},
                       {"config", {{"expression", "{sku}"}}}},
                      loggerTo("log", out)}}});
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());

    const auto res = postJson(engine.port(), "/hook/lines",
                              R"({"order":{"items":[{"sku":"a"},{"sku":"b"},{"sku":"c"}]}})");
    REQUIRE(res.status == 202);
    const std::string requestId = res.json().at("requestId");
    // An empty array ends the execution without a line.
    REQUIRE(postJson(engine.port(), "/hook/lines", R"({"order":{"items":[]}})").status == 202);

    REQUIRE(eventually([&] { return jsonLines(out).size() == 3; }));
    std::set<std::string> skus, ids;
    std::set<int> indexes;
    for (const auto& line : jsonLines(out)) {
        CHECK(line.at("requestId") == requestId);
        const json& message = line.at("message");
        skus.insert(message.at("body").at("sku").get<std::string>());
        CHECK(message.at("meta").at("split").at("count") == 3);
        const int index = message.at("meta").at("split").at("index");
        indexes.insert(index);
        const std::string id = message.at("id");
        CHECK(id == requestId + "/split/" + std::to_string(index) + "/shape/0");
        ids.insert(id);
    }
    CHECK(skus == std::set<std::string>{"a", "b", "c"});
    CHECK(indexes == std::set<int>{0, 1, 2});
    CHECK(ids.size() == 3);
}

TEST_CASE("split of a body that has no array there dead-letters with the reason", "[e2e][split]") {
    TestConfig config;  // three fast attempts
    const auto out = config.file("lines.log");
    config.addFlow({{"id", "lines"},
                    {"steps",
                     {{{"id", "split"},
                       {"component", "split"},
                       {"function", "split"},
                       {"config", {{"path", "/items"}}}},
                      loggerTo("log", out)}}});
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
    REQUIRE(postJson(engine.port(), "/hook/lines", R"({"items":{"a":1}})").status == 202);

    REQUIRE(eventually([&] {
        return request(engine.adminPort(), {"GET", "/readyz", "", "", {}, false})
                   .json()
                   .at("queue")
                   .at("deadLetters") == 1;
    }));
    CHECK(readFile(config.logFile())
              .find("split: the value at path '/items' is an object, not an array") !=
          std::string::npos);
    CHECK(jsonLines(out).empty());
}
