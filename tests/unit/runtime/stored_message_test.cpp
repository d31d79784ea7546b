// The worker reads stored messages without copying them: what it reads, and what it
// refuses, must stay what the Message's own from_json gives.
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "runtime/stored_message.hpp"

using flowgate::Message;
using flowgate::runtime::readStoredMessage;

namespace {

// The error from_json gives for `text`, or "" if it reads.
std::string fromJsonError(const std::string& text) {
    try {
        (void)nlohmann::json::parse(text).get<Message>();
        return "";
    } catch (const nlohmann::json::exception& e) {
        return e.what();
    }
}

std::string readError(const std::string& text) {
    try {
        (void)readStoredMessage(text);
        return "";
    } catch (const nlohmann::json::exception& e) {
        return e.what();
    }
}

}  // namespace

TEST_CASE("a stored message reads as from_json reads it", "[runtime]") {
    const std::vector<std::string> stored = {
        R"({"id":"r1/jq/0","body":{"title":"x","items":[1,2.5,"three",null,true]},)"
        R"("headers":{"content-type":"application/json"},)"
        R"("attachments":[{"name":"a.txt","contentType":"text/plain","size":5,)"
        R"("sha256":"abc","ref":"ref-1"}],"meta":{"flow":"f","requestId":"r1"}})",
        R"({"id":"r2","body":"just text"})",  // headers, attachments, meta left out
        R"({"body":[1,2],"headers":{},"meta":{}})",  // no id
        R"({})",
    };
    for (const auto& text : stored) {
        INFO(text);
        const Message expected = nlohmann::json::parse(text).get<Message>();
        const Message read = readStoredMessage(text);
        CHECK(read.id == expected.id);
        CHECK(read.body == expected.body);
        CHECK(read.headers == expected.headers);
        CHECK(read.meta == expected.meta);
        CHECK(nlohmann::json(read.attachments) == nlohmann::json(expected.attachments));
        CHECK(nlohmann::json(read) == nlohmann::json(expected));
    }
}

TEST_CASE("a stored message that from_json refuses is refused with its error", "[runtime]") {
    const std::vector<std::string> stored = {
        "not json",
        R"([1,2])",
        R"("text")",
        R"({"id":7,"body":{}})",
        R"({"id":"r","attachments":{"name":"a"}})",
        R"({"id":"r","attachments":[5]})",
        R"({"id":"r","body":{})",
    };
    for (const auto& text : stored) {
        INFO(text);
        const std::string expected = fromJsonError(text);
        REQUIRE_FALSE(expected.empty());
        CHECK(readError(text) == expected);
    }
}
