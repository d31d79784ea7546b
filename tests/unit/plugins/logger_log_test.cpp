// What logger steps write, where, and that they pass messages on unchanged.
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "flowgate/testkit.hpp"
#include "support/temp_dir.hpp"
#include "unit/plugins/plugin_under_test.hpp"

using flowgate::LogLevel;
using flowgate::Message;
using flowgate::testing::loadRealComponent;
using flowgate::testing::makeStep;
using flowgate::testkit::RecordingStepContext;
using flowgate::test::TempDir;
using nlohmann::json;

namespace {

Message sampleMessage(std::string id = "msg-1") {
    Message message;
    message.id = std::move(id);
    message.body = {{"title", "Hello"}, {"n", 1}};
    message.headers = {{"content-type", "application/json"}};
    message.meta = {{"flow", "blog"}, {"requestId", "req-42"}};
    message.attachments.push_back({"a.txt", "text/plain", 5, "abc", "ref-1"});
    return message;
}

std::vector<std::string> linesOf(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

void checkLine(const json& line, const Message& input, const std::string& level) {
    static const std::regex iso8601(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");
    INFO(line.dump());
    CHECK(std::regex_match(line.at("time").get<std::string>(), iso8601));
    CHECK(line.at("level") == level);
    CHECK(line.at("flow") == "orders-flow");
    CHECK(line.at("step") == "log-orders");
    CHECK(line.at("requestId") == input.meta.at("requestId"));
    const json& message = line.at("message");
    CHECK(message.at("id") == input.id);
    CHECK(message.at("body") == input.body);
    CHECK(message.at("headers") == input.headers);
    CHECK(message.at("meta") == input.meta);
    CHECK(message.at("attachments") == json(input.attachments));
}

RecordingStepContext ordersContext() {
    RecordingStepContext context;
    context.setFlowId("orders-flow").setStepId("log-orders");
    return context;
}

// Restores the working directory when a test that changed it ends.
class WorkingDirectoryGuard {
public:
    WorkingDirectoryGuard() : saved_(std::filesystem::current_path()) {}
    ~WorkingDirectoryGuard() { std::filesystem::current_path(saved_); }

private:
    std::filesystem::path saved_;
};

// Pages of `file` in the page cache not yet written to the disk (dirty), from cachestat(2)
// (Linux 6.5; Debian's glibc has no wrapper). Empty where it cannot tell: an older kernel,
// or tmpfs, whose pages are never written back.
std::optional<std::uint64_t> dirtyPagesOf(const std::filesystem::path& file) {
    struct statfs fs {};
    if (::statfs(file.c_str(), &fs) != 0 || fs.f_type == TMPFS_MAGIC) return std::nullopt;
    struct Range {
        std::uint64_t offset, length;  // length 0: to the end of the file
    } range{0, 0};
    struct Stat {
        std::uint64_t cache, dirty, writeback, evicted, recentlyEvicted;
    } stat{};
    constexpr long kCachestat = 451;  // the same number on every architecture
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    const long rc = ::syscall(kCachestat, fd, &range, &stat, 0);
    ::close(fd);
    if (rc != 0) return std::nullopt;
    return stat.dirty;
}

}  // namespace

TEST_CASE("logger appends one JSON line per message to its file", "[plugins][logger]") {
    auto logger = loadRealComponent("libflowgate-logger.so", "logger");
    TempDir dir;
    const auto file = dir / "orders.log";
    std::ofstream(file) << "kept from before\n";
    auto step = makeStep(*logger, "log",
                         {{"file", file.string()}, {"level", "warning"}, {"prefix", "orders"}});
    auto context = ordersContext();
    const Message first = sampleMessage("msg-1");
    const Message second = sampleMessage("msg-2");

    REQUIRE(step->execute(first, context).ok);
    REQUIRE(step->execute(second, context).ok);

    const auto lines = linesOf(file);
    REQUIRE(lines.size() == 3);
    CHECK(lines[0] == "kept from before");  // appended, never truncated
    const json line1 = json::parse(lines[1]);
    checkLine(line1, first, "warning");
    CHECK(line1.at("prefix") == "orders");
    checkLine(json::parse(lines[2]), second, "warning");
    // The fields come in reading order.
    CHECK(lines[1].rfind("{\"time\":", 0) == 0);
    CHECK(context.logs().empty());  // the file replaces the engine log
}

TEST_CASE("logger without a file writes to the engine log", "[plugins][logger]") {
    auto logger = loadRealComponent("libflowgate-logger.so", "logger");
    auto context = ordersContext();
    const Message input = sampleMessage();

    SECTION("at info by default, without prefix") {
        auto step = makeStep(*logger, "log", json::object());
        REQUIRE(step->execute(input, context).ok);
        REQUIRE(context.logs().size() == 1);
        CHECK(context.logs()[0].level == LogLevel::info);
        const json line = json::parse(context.logs()[0].text);
        checkLine(line, input, "info");
        CHECK_FALSE(line.contains("prefix"));
    }
    SECTION("at the configured level") {
        auto step = makeStep(*logger, "log", {{"level", "debug"}});
        REQUIRE(step->execute(input, context).ok);
        REQUIRE(context.logs().size() == 1);
        CHECK(context.logs()[0].level == LogLevel::debug);
        checkLine(json::parse(context.logs()[0].text), input, "debug");
    }
    SECTION("requestId is null when the message has none") {
        auto step = makeStep(*logger, "log", {{"level", "error"}});
        Message bare;
        bare.id = "bare";
        REQUIRE(step->execute(bare, context).ok);
        CHECK(context.logs()[0].level == LogLevel::error);
        CHECK(json::parse(context.logs()[0].text).at("requestId").is_null());
    }
}

// Milliseconds since the epoch of a line's "time" ("2024-05-01T12:34:56.789Z").
std::int64_t epochMsOf(const std::string& time) {
    std::tm utc{};
    std::istringstream in(time);
    in >> std::get_time(&utc, "%Y-%m-%dT%H:%M:%S");
    REQUIRE(!in.fail());
    return static_cast<std::int64_t>(timegm(&utc)) * 1000 + std::stoi(time.substr(20, 3));
}

std::int64_t nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

TEST_CASE("logger lines carry the time they were written, also across seconds",
          "[plugins][logger]") {
    auto logger = loadRealComponent("libflowgate-logger.so", "logger");
    auto step = makeStep(*logger, "log", json::object());
    auto context = ordersContext();
    const Message input = sampleMessage();
    std::set<std::int64_t> seconds;
    // Lines over a little more than a second: several within one second, then the next.
    for (const std::int64_t end = nowMs() + 1300; nowMs() < end;) {
        context.clear();
        const std::int64_t before = nowMs();
        REQUIRE(step->execute(input, context).ok);
        const std::int64_t after = nowMs();
        const std::string time = json::parse(context.logs().at(0).text).at("time");
        const std::int64_t at = epochMsOf(time);
        INFO(time);
        CHECK(at >= before);
        CHECK(at <= after);
        seconds.insert(at / 1000);
        std::this_thread::sleep_for(std::chrono::milliseconds(7));
    }
    CHECK(seconds.size() >= 2);
}

TEST_CASE("logger passes its input on unchanged", "[plugins][logger]") {
    auto logger = loadRealComponent("libflowgate-logger.so", "logger");
    TempDir dir;
    auto context = ordersContext();
    const Message input = sampleMessage();

    for (const json& config : {json::object(), json{{"file", (dir / "x.log").string()}}}) {
        INFO(config.dump());
        context.clear();
        auto step = makeStep(*logger, "log", config);
        REQUIRE(step->execute(input, context).ok);
        REQUIRE(context.emitted().size() == 1);
        CHECK(context.emitted()[0].output == "default");
        CHECK(json(context.emitted()[0].message) == json(input));
        CHECK(context.emitted()[0].forwarded);  // the engine moves it on instead of a copy
    }
}

TEST_CASE("logger lines from many threads and steps never interleave", "[plugins][logger]") {
    auto logger = loadRealComponent("libflowgate-logger.so", "logger");
    TempDir dir;
    const auto file = dir / "shared.log";
    // Two steps on one file, as two flows logging to the same place would be.
    auto stepA = makeStep(*logger, "log", {{"file", file.string()}, {"prefix", "A"}});
    auto stepB = makeStep(*logger, "log", {{"file", file.string()}, {"prefix", "B"}});
    constexpr int kThreads = 8;
    constexpr int kLines = 250;
    Message input = sampleMessage();
    input.body = {{"padding", std::string(3000, 'x')}};  // lines far longer than a pipe's atom

    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            auto context = ordersContext();
            auto& step = t % 2 ? stepA : stepB;
            for (int i = 0; i < kLines; ++i) step->execute(input, context);
        });
    }
    for (auto& thread : threads) thread.join();

    const auto lines = linesOf(file);
    REQUIRE(lines.size() == kThreads * kLines);
    int fromA = 0;
    for (const auto& line : lines) {
        const json parsed = json::parse(line, nullptr, false);
        REQUIRE_FALSE(parsed.is_discarded());
        fromA += parsed.at("prefix") == "A";
    }
    CHECK(fromA == kThreads / 2 * kLines);
}

// Left to the kernel, a busy log's pages are written 30 s after they were, all at once,
// and every fsync on the disk (the queue's commits) waits behind them. The logger starts
// their writeback itself every MiB, so no more than about that much waits in memory.
TEST_CASE("logger hands a growing file to the disk as it writes", "[plugins][logger]") {
    auto logger = loadRealComponent("libflowgate-logger.so", "logger");
    TempDir dir;
    const auto file = dir / "busy.log";
    auto step = makeStep(*logger, "log", {{"file", file.string()}});
    auto context = ordersContext();
    Message input = sampleMessage();
    input.body = {{"padding", std::string(4000, 'x')}};
    for (int i = 0; i < 1000; ++i) REQUIRE(step->execute(input, context).ok);  // ~4 MiB

    REQUIRE(std::filesystem::file_size(file) > 4'000'000);
    const auto dirty = dirtyPagesOf(file);
    if (!dirty) {
        WARN("cachestat(2) is not available here (Linux < 6.5 or tmpfs): not checked");
        return;
    }
    const auto pageSize = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    // At most the last MiB, and a few pages that were written to again while in flight
    // (the kernel's writeback passes over those until they land).
    CHECK(*dirty * pageSize <= (1 << 20) + 16 * pageSize);
}

TEST_CASE("logger writes to a pipe as to a file", "[plugins][logger]") {
    auto logger = loadRealComponent("libflowgate-logger.so", "logger");
    TempDir dir;
    const auto fifo = dir / "lines.fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    // A log shipper's end of the pipe, open before the step opens its own (a non-blocking
    // open does not wait for a writer; reads then block again).
    const int readEnd = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    REQUIRE(readEnd >= 0);
    REQUIRE(::fcntl(readEnd, F_SETFL, 0) == 0);
    std::size_t linesRead = 0;
    std::jthread reader;  // joined after the step closes the pipe, also when a check fails
    auto step = makeStep(*logger, "log", {{"file", fifo.string()}});
    reader = std::jthread([&] {
        char buffer[65536];
        for (ssize_t n; (n = ::read(readEnd, buffer, sizeof buffer)) > 0;)
            linesRead += std::count(buffer, buffer + n, '\n');
        ::close(readEnd);
    });
    auto context = ordersContext();
    Message input = sampleMessage();
    input.body = {{"padding", std::string(3000, 'x')}};
    // Past the size at which a file's writeback starts: a pipe has none to start.
    for (int i = 0; i < 500; ++i) REQUIRE(step->execute(input, context).ok);
    step.reset();  // closes the pipe: the reader sees its end
    reader.join();
    CHECK(linesRead == 500);
}

TEST_CASE("logger resolves a relative file against the working directory",
          "[plugins][logger]") {
    auto logger = loadRealComponent("libflowgate-logger.so", "logger");
    TempDir dir;
    WorkingDirectoryGuard guard;
    std::filesystem::current_path(dir.path());
    auto step = makeStep(*logger, "log", {{"file", "relative.log"}});
    auto context = ordersContext();

    REQUIRE(step->execute(sampleMessage(), context).ok);

    REQUIRE(linesOf(dir / "relative.log").size() == 1);
}

TEST_CASE("logger fails the attempt when it cannot write", "[plugins][logger]") {
    auto logger = loadRealComponent("libflowgate-logger.so", "logger");
    // /dev/full opens fine and refuses every write with ENOSPC.
    auto step = makeStep(*logger, "log", {{"file", "/dev/full"}});
    auto context = ordersContext();

    const auto result = step->execute(sampleMessage(), context);

    CHECK_FALSE(result.ok);
    CHECK_THAT(result.error, Catch::Contains("cannot write to /dev/full"));
    CHECK_THAT(result.error, Catch::Contains("No space left on device"));
    CHECK(context.emitted().empty());
}

TEST_CASE("logger replaces invalid UTF-8 instead of failing", "[plugins][logger]") {
    auto logger = loadRealComponent("libflowgate-logger.so", "logger");
    auto step = makeStep(*logger, "log", json::object());
    auto context = ordersContext();
    Message input = sampleMessage();
    input.body = {{"text", "bad \xFF byte"}};

    REQUIRE(step->execute(input, context).ok);

    const json line = json::parse(context.logs().at(0).text);
    CHECK(line.at("message").at("body").at("text") == "bad \xEF\xBF\xBD byte");
}

TEST_CASE("logger writes each value as a compact JSON dump writes it", "[plugins][logger]") {
    auto logger = loadRealComponent("libflowgate-logger.so", "logger");
    auto step = makeStep(*logger, "log", {{"prefix", "p \"q\" \xC3\xA9"}});
    auto context = ordersContext();
    Message input = sampleMessage("id \\ \x01");
    // Every kind of value, and strings that need escaping, UTF-8 and invalid bytes, in
    // keys as well as values.
    input.body = json::parse(R"({"plain":"abc","quote\"key":"a\"b\\c\/d","ctl":"\t\n\u0001\u007f",)"
                             R"("utf8":"h\u00e9 \u20ac \ud83d\ude00","n":[0,-7,18446744073709551615,)"
                             R"(1.5,-0.0,1e300,2.5e-8],"b":[true,false,null],"e":{},"a":[],)"
                             R"("deep":{"x":[{"y":"z"}]}})");
    input.body["bad \xFF key"] = "bad \xFE\xFF value \xC3";
    input.body["nan"] = std::nan("");
    input.meta["requestId"] = {{"not", "a string"}};
    input.headers["x-\xE2\x82"] = "cut";

    REQUIRE(step->execute(input, context).ok);

    const auto text = [](const json& value) {
        return value.dump(-1, ' ', false, json::error_handler_t::replace);
    };
    const std::string& line = context.logs().at(0).text;
    const std::string expected =
        ",\"level\":\"info\",\"flow\":\"orders-flow\",\"step\":\"log-orders\",\"requestId\":" +
        text(input.meta["requestId"]) + ",\"prefix\":" + text("p \"q\" \xC3\xA9") +
        ",\"message\":{\"id\":" + text(input.id) + ",\"body\":" + text(input.body) +
        ",\"headers\":" + text(input.headers) + ",\"meta\":" + text(input.meta) +
        ",\"attachments\":" + text(input.attachments) + "}}";
    REQUIRE(line.size() > expected.size());
    CHECK(line.substr(line.size() - expected.size()) == expected);
}
