#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "auth/verifier.hpp"
#include "flowgate/message.hpp"
#include "webhooks/stored_message.hpp"

using flowgate::Attachment;
using flowgate::Message;
using flowgate::http::appendJsonString;
using flowgate::http::storedMessageText;
using flowgate::http::WebhookMessage;
using nlohmann::json;

namespace {

// One request's parts, both as the writer takes them and as the Message tree they make.
struct Sample {
    std::string id = "0f3c2a9e-5b7d-4c1e-9a2b-3d4e5f607182";
    json body = json::object();
    std::vector<Attachment> attachments;
    flowgate::auth::HeaderMap headers;
    std::string flow = "orders";
    std::string receivedAt = "2026-12-02T07:13:21.123456Z";
    std::string method = "POST";
    std::string path;
    json query = json::object();
    std::string resumeUrl;

    WebhookMessage parts() const {
        WebhookMessage m;
        m.id = id;
        m.body = &body;
        m.attachments = &attachments;
        for (const auto& [name, value] : headers) m.headers.emplace_back(name, value);
        m.flow = flow;
        m.receivedAt = receivedAt;
        m.method = method;
        m.path = path;
        m.query = &query;
        m.resumeUrl = resumeUrl;
        return m;
    }
    // How the handler wrote it before: the tree, dumped with invalid UTF-8 replaced.
    std::string dumped() const {
        Message message;
        message.id = id;
        message.body = body;
        message.attachments = attachments;
        for (const auto& [name, value] : headers) message.headers[name] = value;
        message.meta = {{"flow", flow},     {"requestId", id}, {"receivedAt", receivedAt},
                        {"method", method}, {"path", path},    {"query", query}};
        if (!resumeUrl.empty()) message.meta["resumeUrl"] = resumeUrl;
        return json(message).dump(-1, ' ', false, json::error_handler_t::replace);
    }
};

std::string escaped(std::string_view text) {
    std::string out;
    appendJsonString(out, text);
    return out;
}

}  // namespace

TEST_CASE("the stored message text is the bytes nlohmann writes for the message",
          "[http][stored-message]") {
    Sample sample;
    SECTION("a bare request") {}
    SECTION("headers, query, path and a resume URL") {
        sample.headers = {{"content-type", "application/json"},
                          {"user-agent", "curl/8.1 \"quoted\" back\\slash"},
                          {"x-empty", ""},
                          {"x-github-event", "push"}};
        sample.query = {{"a", json::array({"1", "2"})}, {"é", "ü"}};
        sample.path = "/more/path";
        sample.method = "PUT";
        sample.resumeUrl = "http://127.0.0.1:8080/resume/abc/def";
    }
    SECTION("unicode and control characters") {
        sample.headers = {{"x-name", "Zoë 😀 \xe2\x82\xac"},
                          {"x-ctl", std::string("a\tb\nc\rd\be\ff\x01g\x1fh\x7fi\0j", 22)}};
        sample.path = "/日本/\"x\"";
    }
    SECTION("header bytes that are not UTF-8 are replaced as nlohmann replaces them") {
        sample.headers = {{"x-latin1", "caf\xe9"},
                          {"x-broken", "\xff\xfe ok \xc3"},
                          {"x-overlong", "\xc0\x80\xed\xa0\x80"}};
        sample.path = "/p\xff";
    }
    SECTION("a decoded body and attachments") {
        sample.body = {{"form", json::array({"1", "2"})}, {"n", 1.5}, {"s", "é\xff"}};
        sample.attachments = {{"a.bin", "application/octet-stream", 12345, "ab01", "ref/1"},
                              {"b \"q\".txt", "text/plain", 0, "cd02", "ref/2"}};
        sample.method = "PATCH";
    }
    CHECK(storedMessageText(sample.parts()) == sample.dumped());
    CHECK(json::accept(storedMessageText(sample.parts())));
}

TEST_CASE("a raw JSON body is stored as the caller sent it", "[http][stored-message]") {
    Sample sample;
    sample.headers = {{"content-type", "application/json"}, {"x-latin1", "caf\xe9"}};
    const std::string raw = R"({"event":"push","items":[1,2.5,"é"],"ok":true})";
    WebhookMessage parts = sample.parts();
    parts.rawBody = raw;
    sample.body = json::parse(raw);
    // In nlohmann's form the raw text and the tree's dump are the same bytes.
    CHECK(storedMessageText(parts) == sample.dumped());

    // Otherwise the bytes stay as they came: the message still parses to the same body.
    const std::string spaced = " { \"b\" : 1 ,\n \"a\" : [ ] } ";
    parts.rawBody = spaced;
    const std::string text = storedMessageText(parts);
    CHECK(text.find(spaced) != std::string::npos);
    CHECK(json::parse(text).at("body") == json{{"a", json::array()}, {"b", 1}});
}

TEST_CASE("JSON strings are escaped as nlohmann escapes them", "[http][stored-message]") {
    for (std::string text :
         {std::string(""), std::string("plain"), std::string("\"\\/"),
          std::string("\x00\x01\x1f\x20\x7f", 5), std::string("é😀"), std::string("\xff"),
          std::string("a\xe2\x82"), std::string(300, 'x')}) {
        INFO(json(text).dump(-1, ' ', true, json::error_handler_t::replace));
        CHECK(escaped(text) == json(text).dump(-1, ' ', false, json::error_handler_t::replace));
    }
}
