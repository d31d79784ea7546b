// engine.json errors as a user meets them: `flowgate run` refuses to start with one line
// per error, and a running engine keeps its settings when engine.json breaks under it.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>

#include <catch2/catch.hpp>

#include "support/build_paths.hpp"
#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/test_config.hpp"

using namespace flowgate::test;
using nlohmann::json;

namespace {

struct Run {
    int exitCode;
    std::string out;  // stdout
    std::string err;  // stderr
};

// Runs the binary with `args`; stdout and stderr apart.
Run runFlowgate(const std::string& args, const std::filesystem::path& errFile) {
    const std::string command =
        std::string(flowgate::test::paths::binary) + " " + args + " 2>" + errFile.string();
    FILE* pipe = popen(command.c_str(), "r");
    REQUIRE(pipe);
    std::string out;
    char buf[4096];
    while (std::size_t n = fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
    const int status = pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out, readFile(errFile)};
}

json loggerFlow(const std::filesystem::path& out) {
    return {{"id", "ok"},
            {"steps",
             {{{"id", "log"},
               {"component", "logger"},
               {"function", "log"},
               {"config", {{"file", out.string()}}}}}}};
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> result;
    std::size_t start = 0;
    while (start < text.size()) {
        const auto end = text.find('\n', start);
        result.push_back(text.substr(start, end - start));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return result;
}

}  // namespace

TEST_CASE("flowgate run refuses an engine.json with an unknown key or a wrong type",
          "[e2e][config]") {
    const json bad = GENERATE(json{{"bogus", 1}}, json{{"http", {{"port", "8080"}}}},
                              json{{"http", {{"port", 80}, {"hots", "x"}}}, {"logLevel", 3}});
    TestConfig config(bad);
    config.addFlow(loggerFlow(config.file("out.log")));
    const std::string engineJson = (config.configDir() / "engine.json").string();
    const std::string args = "--port 0 --config " + config.configDir().string() + " --plugins " +
                             flowgate::test::paths::pluginDir;
    INFO(bad.dump());

    const Run run = runFlowgate("run " + args, config.file("stderr.txt"));
    INFO(run.err);
    CHECK(run.exitCode == 1);
    CHECK(run.out.find("Flowgate listening") == std::string::npos);
    // Only the errors, one per line, each "file: /pointer: reason".
    const auto errLines = lines(run.err);
    REQUIRE(!errLines.empty());
    for (const auto& line : errLines) CHECK(line.rfind(engineJson + ": ", 0) == 0);
    if (bad.contains("bogus"))
        CHECK(run.err.find(engineJson + ": (document): unknown key 'bogus'") != std::string::npos);
    if (bad.contains("http") && bad["http"].contains("hots")) {
        CHECK(errLines.size() == 2);  // every error, not only the first
        CHECK(run.err.find(engineJson + ": /http: unknown key 'hots'") != std::string::npos);
        CHECK(run.err.find(engineJson + ": /logLevel: ") != std::string::npos);
    } else if (bad.contains("http")) {
        CHECK(run.err.find(engineJson + ": /http/port: ") != std::string::npos);
    }

    // validate names the same lines.
    const Run validate = runFlowgate("validate " + args, config.file("validate.txt"));
    CHECK(validate.exitCode == 1);
    for (const auto& line : errLines) CHECK(validate.out.find(line) != std::string::npos);
}

TEST_CASE("a reload with a broken engine.json keeps the running settings and serves on",
          "[e2e][config]") {
    TestConfig config(json{{"reload", {{"intervalMs", 200}}}});
    const auto out = config.file("out.log");
    config.addFlow(loggerFlow(out));
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
    REQUIRE(postJson(engine.port(), "/hook/ok", "{}").status == 202);

    const auto engineJson = config.configDir() / "engine.json";
    json doc = json::parse(readFile(engineJson));
    doc["http"]["threads"] = "many";
    writeFile(engineJson, doc.dump(2));
    const std::string reported = engineJson.string() + ": /http/threads: ";
    // Noticed by the file poll ...
    CHECK(eventually([&] {
        const auto log = readFile(config.logFile());
        return log.find(reported) != std::string::npos &&
               log.find("engine.json refused, running settings kept") != std::string::npos;
    }));
    CHECK(postJson(engine.port(), "/hook/ok", "{}").status == 202);
    // ... and on SIGHUP, again.
    const auto before = readFile(config.logFile()).size();
    ::kill(engine.pid(), SIGHUP);
    CHECK(eventually(
        [&] { return readFile(config.logFile()).find(reported, before) != std::string::npos; }));
    CHECK(postJson(engine.port(), "/hook/ok", "{}").status == 202);
    CHECK(eventually([&] { return jsonLines(out).size() == 3; }));
    CHECK(engine.terminate() == 0);
}

TEST_CASE("a worker started after engine.json broke runs on the intake's settings",
          "[e2e][config]") {
    // One attempt only, from engine.json: a throwing step is dead-lettered at once.
    TestConfig config(json{{"retry", {{"maxAttempts", 1}, {"initialDelayMs", 10}}}});
    config.addFlow({{"id", "throws"},
                    {"steps", {{{"id", "boom"}, {"component", "poison"}, {"function", "throw"}}}}});
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
    const auto before = engine.workerPids();
    REQUIRE(!before.empty());

    const auto engineJson = config.configDir() / "engine.json";
    writeFile(engineJson, readFile(engineJson) + "\n{ broken");
    for (pid_t pid : before) ::kill(pid, SIGKILL);
    REQUIRE(eventually([&] {
        const auto now = engine.workerPids();
        if (now.size() != before.size()) return false;
        for (pid_t pid : now)
            if (std::find(before.begin(), before.end(), pid) != before.end()) return false;
        return true;
    }));

    const auto answer = postJson(engine.port(), "/hook/throws", "{}");
    REQUIRE(answer.status == 202);
    const std::string requestId = answer.json().at("requestId");
    // The new workers kept maxAttempts 1 (the default would be 5 attempts, retried).
    CHECK(eventually([&] {
        const auto log = readFile(config.logFile());
        const auto at =
            log.find("requestId " + requestId + ": attempt 1 of 1 failed, dead-lettered");
        return at != std::string::npos;
    }));
    CHECK(engine.terminate() == 0);
}
