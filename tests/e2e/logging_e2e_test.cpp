// The engine log as a log shipper reads it: logFormat "json" gives one JSON object per
// line from every process (supervisor, intake, workers), an access line per request and
// the step's lines with the same requestId.
#include <sstream>

#include <catch2/catch.hpp>

#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/test_config.hpp"

using namespace flowgate::test;
using nlohmann::json;

namespace {

json loggingFlow() {
    return {{"id", "orders"},
            {"steps", {{{"id", "log"}, {"component", "logger"}, {"function", "log"}}}}};
}

// Every line of the log, parsed; a line that is not JSON fails the test.
std::vector<json> logLines(const std::filesystem::path& log) {
    std::vector<json> lines;
    std::istringstream in(readFile(log));
    for (std::string line; std::getline(in, line);) {
        INFO(line);
        auto parsed = json::parse(line, nullptr, false);
        CHECK(parsed.is_object());
        if (parsed.is_object()) lines.push_back(std::move(parsed));
    }
    return lines;
}

std::vector<json> linesWith(const std::vector<json>& lines, const std::string& logger,
                            const std::string& requestId) {
    std::vector<json> found;
    for (const auto& line : lines)
        if (line.value("logger", "") == logger && line.value("requestId", "") == requestId)
            found.push_back(line);
    return found;
}

}  // namespace

TEST_CASE("logFormat json: every line is JSON, the access and step lines share the requestId",
          "[e2e][logging]") {
    TestConfig config(json{{"logFormat", "json"}});
    config.addFlow(loggingFlow());
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());

    const auto answer =
        request(engine.port(),
                {"POST", "/hook/orders?token=s3cret", R"({"n":1})", "application/json", {}, false});
    REQUIRE(answer.status == 202);
    const std::string requestId = answer.json().at("requestId");
    REQUIRE(eventually([&] {
        return !linesWith(logLines(config.logFile()), "flowgate.worker", requestId).empty();
    }));
    CHECK(postJson(engine.port(), "/hook/nothing-here", "{}").status == 404);
    CHECK(engine.terminate() == 0);

    const auto lines = logLines(config.logFile());
    for (const auto& line : lines) {
        CHECK(line.at("time").get<std::string>().size() == 24);  // 2026-01-02T03:04:05.678Z
        CHECK(line.at("time").get<std::string>().back() == 'Z');
        CHECK(line.at("level").is_string());
        CHECK(line.at("logger").is_string());
        CHECK(line.at("message").is_string());
    }
    const auto access = linesWith(lines, "flowgate.access", requestId);
    REQUIRE(access.size() == 1);
    CHECK(access[0].at("level") == "info");
    CHECK(access[0].at("method") == "POST");
    CHECK(access[0].at("path") == "/hook/orders");  // never the query string
    CHECK(access[0].at("status") == 202);
    CHECK(access[0].at("flow") == "orders");
    CHECK(access[0].at("durationMs").is_number());
    CHECK(access[0].at("remote") == "127.0.0.1");
    CHECK(access[0].dump().find("s3cret") == std::string::npos);

    const auto step = linesWith(lines, "flowgate.worker", requestId);
    REQUIRE(step.size() == 1);
    CHECK(step[0].at("flow") == "orders");
    CHECK(step[0].at("step") == "log");
    CHECK(step[0].at("attempt") == 1);
    // The workers wrote it: another process than the intake's access line.
    CHECK(step[0].at("pid") != access[0].at("pid"));

    // The 404 has its access line too, without a flow.
    bool notFound = false;
    for (const auto& line : lines)
        if (line.at("logger") == "flowgate.access" && line.value("status", 0) == 404) {
            notFound = true;
            CHECK_FALSE(line.contains("flow"));
            CHECK(line.at("path") == "/hook/nothing-here");
        }
    CHECK(notFound);
}

TEST_CASE("logFormat json: failed attempts, dead letters and crashed workers carry their item",
          "[e2e][logging]") {
    TestConfig config(json{{"logFormat", "json"}});
    const json retryTwice = {{"maxAttempts", 2}, {"initialDelayMs", 10}, {"maxDelayMs", 10}};
    config.addFlow({{"id", "throws"},
                    {"retry", retryTwice},
                    {"steps", {{{"id", "boom"}, {"component", "poison"}, {"function", "throw"}}}}});
    config.addFlow(
        {{"id", "crashes"},
         {"retry", {{"maxAttempts", 1}}},
         {"steps", {{{"id", "boom"}, {"component", "poison"}, {"function", "segfault"}}}}});
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());

    // One after the other: a worker that crashes with both in its batch would run the
    // other item again.
    const auto crashed = postJson(engine.port(), "/hook/crashes", "{}");
    REQUIRE(crashed.status == 202);
    const std::string crashId = crashed.json().at("requestId");
    REQUIRE(eventually([&] {
        return !linesWith(logLines(config.logFile()), "flowgate.supervisor", crashId).empty();
    }));
    const auto thrown = postJson(engine.port(), "/hook/throws", "{}");
    REQUIRE(thrown.status == 202);
    const std::string throwsId = thrown.json().at("requestId");
    REQUIRE(eventually([&] {
        return linesWith(logLines(config.logFile()), "flowgate.worker", throwsId).size() == 2;
    }));
    CHECK(engine.terminate() == 0);

    const auto lines = logLines(config.logFile());
    const auto attempts = linesWith(lines, "flowgate.worker", throwsId);
    INFO(json(attempts).dump());
    REQUIRE(attempts.size() == 2);
    for (int i = 0; i < 2; ++i) {
        CHECK(attempts[i].at("level") == "warning");
        CHECK(attempts[i].at("flow") == "throws");
        CHECK(attempts[i].at("step") == "boom");
        CHECK(attempts[i].at("attempt") == i + 1);
    }
    CHECK(attempts[1].at("message").get<std::string>().find("dead-lettered") != std::string::npos);
    const auto crash = linesWith(lines, "flowgate.supervisor", crashId);
    REQUIRE(crash.size() == 1);
    CHECK(crash[0].at("level") == "error");
    CHECK(crash[0].at("flow") == "crashes");
    CHECK(crash[0].at("step") == "boom");
    CHECK(crash[0].at("attempt") == 1);
    CHECK(crash[0].at("message").get<std::string>().find("SIGSEGV") != std::string::npos);
}

TEST_CASE("logFormat json: what a plugin prints past the log becomes JSON lines too",
          "[e2e][logging]") {
    TestConfig config(json{{"logFormat", "json"}});
    config.addFlow({{"id", "chatty"},
                    {"steps", {{{"id", "say"}, {"component", "poison"}, {"function", "print"}}}}});
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
    REQUIRE(postJson(engine.port(), "/hook/chatty", "{}").status == 202);
    auto printed = [&] {
        std::vector<std::string> texts;
        for (const auto& line : logLines(config.logFile()))
            if (line.at("logger") == "flowgate.worker.output") texts.push_back(line.at("message"));
        return texts;
    };
    REQUIRE(eventually([&] { return !printed().empty(); }));
    // The line without a newline is logged when its worker ends.
    CHECK(engine.terminate() == 0);
    const auto texts = printed();
    REQUIRE(texts.size() == 2);
    CHECK(texts[0].ends_with("poison: raw to stdout"));
    CHECK(texts[1].ends_with("poison: raw \xef\xbf\xbd to stderr, no newline"));
    // Every line of the log parsed (logLines checks); no raw text got in between.
}

TEST_CASE("http.accessLog false turns the access log off, --log-format overrides engine.json",
          "[e2e][logging]") {
    TestConfig config(json{{"logFormat", "json"}, {"http", {{"accessLog", false}}}});
    config.addFlow(loggingFlow());
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile(), 0, 0,
                         {"--log-format", "text"});
    REQUIRE(postJson(engine.port(), "/hook/orders", "{}").status == 202);
    // The worker's line, in text: the flag reached the workers too.
    REQUIRE(eventually([&] { return !engineLogLines(config.logFile(), "orders/log").empty(); }));
    CHECK(engine.terminate() == 0);
    const std::string log = readFile(config.logFile());
    CHECK(log.find("flowgate.access") == std::string::npos);
    std::istringstream in(log);
    for (std::string line; std::getline(in, line);) {
        INFO(line);
        CHECK(line.front() != '{');
    }
}
