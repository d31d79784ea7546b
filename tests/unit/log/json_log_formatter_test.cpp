#include <catch2/catch.hpp>

#include <Poco/Message.h>
#include <nlohmann/json.hpp>

#include "log/json_log_formatter.hpp"
#include "log/log_fields.hpp"

using flowgate::log::JsonLogFormatter;
using nlohmann::json;

namespace {

json formatted(const Poco::Message& message) {
    JsonLogFormatter formatter;
    std::string line;
    formatter.format(message, line);
    INFO(line);
    CHECK(line.find('\n') == std::string::npos);  // one line, whatever the text holds
    return json::parse(line);
}

}  // namespace

TEST_CASE("a JSON log line has time, level, logger, message and the known fields", "[log]") {
    Poco::Message message("flowgate.worker", "orders/log: hello", Poco::Message::PRIO_WARNING);
    message.setTime(Poco::Timestamp::fromEpochTime(1767323045) + 678000);
    flowgate::log::LogFields{"orders", "log", "req-1", 3}.addTo(message);
    const json line = formatted(message);
    CHECK(line.at("time") == "2026-01-02T03:04:05.678Z");
    CHECK(line.at("level") == "warning");
    CHECK(line.at("logger") == "flowgate.worker");
    CHECK(line.at("message") == "orders/log: hello");
    CHECK(line.at("flow") == "orders");
    CHECK(line.at("step") == "log");
    CHECK(line.at("requestId") == "req-1");
    CHECK(line.at("attempt") == 3);
    CHECK(line.at("pid").is_number_integer());
    // Fields a call site did not know are left out, not written empty.
    Poco::Message bare("flowgate", "started", Poco::Message::PRIO_INFORMATION);
    const json plain = formatted(bare);
    CHECK(plain.at("level") == "info");
    CHECK_FALSE(plain.contains("flow"));
    CHECK_FALSE(plain.contains("attempt"));
}

TEST_CASE("a JSON log line escapes control characters and quotes", "[log]") {
    const std::string text = "line one\nline \"two\"\t\\ \x01 end\r\n{\"forged\":1}";
    Poco::Message message("flowgate.worker", text, Poco::Message::PRIO_ERROR);
    message.set(flowgate::log::field::flow, "a\"b");
    const json line = formatted(message);
    CHECK(line.at("message") == text);
    CHECK(line.at("flow") == "a\"b");
    CHECK_FALSE(line.contains("forged"));
}

TEST_CASE("invalid UTF-8 in a JSON log line is replaced, never breaks the line", "[log]") {
    const std::string text = "bad \xff\xfe bytes, cut \xe2\x82 and fine \xe2\x82\xac";
    Poco::Message message("plugin \xc0", text, Poco::Message::PRIO_INFORMATION);
    message.set(flowgate::log::field::step, "s\xed\xa0\x80");  // an encoded surrogate
    const json line = formatted(message);
    const std::string out = line.at("message");
    CHECK(out.find("\xef\xbf\xbd") != std::string::npos);  // U+FFFD
    CHECK(out.find("\xff") == std::string::npos);
    CHECK(out.ends_with("fine \xe2\x82\xac"));  // valid text around it survives
    CHECK(line.at("logger").get<std::string>().starts_with("plugin "));
    CHECK(line.at("step").get<std::string>().starts_with("s"));
}

TEST_CASE("the access fields are numbers where they count", "[log]") {
    Poco::Message message("flowgate.access", "POST /hook/a 202", Poco::Message::PRIO_INFORMATION);
    message.set(flowgate::log::field::method, "POST");
    message.set(flowgate::log::field::path, "/hook/a");
    message.set(flowgate::log::field::status, "202");
    message.set(flowgate::log::field::durationMs, "1.250");
    message.set(flowgate::log::field::remote, "127.0.0.1");
    message.set("password", "hunter2");  // unknown names are not written
    const json line = formatted(message);
    CHECK(line.at("status") == 202);
    CHECK(line.at("durationMs").get<double>() == Approx(1.25));
    CHECK(line.at("method") == "POST");
    CHECK(line.at("path") == "/hook/a");
    CHECK(line.at("remote") == "127.0.0.1");
    CHECK(line.dump().find("hunter2") == std::string::npos);
}
