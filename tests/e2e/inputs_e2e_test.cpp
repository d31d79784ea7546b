// Every kind of request body becomes one message; duplicates are answered, not queued.
#include <chrono>
#include <thread>

#include <openssl/evp.h>
#include <catch2/catch.hpp>

#include "support/engine_process.hpp"
#include "support/http_client.hpp"
#include "support/test_config.hpp"

using namespace flowgate::test;
using nlohmann::json;

namespace {

std::string sha256Hex(const std::string& data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < len; ++i) {
        out += digits[digest[i] >> 4];
        out += digits[digest[i] & 15];
    }
    return out;
}

json logFlow(const std::string& id, const std::filesystem::path& out, const json& trigger = json::object()) {
    return {{"id", id},
            {"trigger", trigger},
            {"steps", {{{"id", "log"}, {"component", "logger"}, {"function", "log"},
                        {"config", {{"file", out.string()}}}}}}};
}

}  // namespace

TEST_CASE("XML, multipart and raw bodies become messages, attachments go when done",
          "[e2e][inputs]") {
    TestConfig config;
    const auto out = config.file("out.log");
    config.addFlow(logFlow("in", out));
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
    const int port = engine.port();

    REQUIRE(request(port, {"POST", "/hook/in", R"(<order id="7"><item>a</item><item>b</item></order>)",
                           "application/xml", {}, false})
                .status == 202);
    const std::string boundary = "XyZ";
    const std::string multipart = "--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n"
                                  "--XyZ\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"a.txt\"\r\n"
                                  "Content-Type: text/plain\r\n\r\nfile-bytes\r\n--XyZ--\r\n";
    REQUIRE(request(port, {"POST", "/hook/in", multipart, "multipart/form-data; boundary=" + boundary,
                           {}, false})
                .status == 202);
    const std::string raw = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(1000, 'p');
    REQUIRE(request(port, {"POST", "/hook/in", raw, "image/png", {}, false}).status == 202);

    REQUIRE(eventually([&] { return jsonLines(out).size() == 3; }));
    auto lines = jsonLines(out);
    auto byType = [&](const std::string& type) {
        for (const auto& l : lines)
            if (l.at("message").at("headers").at("content-type").get<std::string>().rfind(type, 0) == 0)
                return l.at("message");
        FAIL("no message of type " << type);
        return json();
    };
    const json xml = byType("application/xml");
    CHECK(xml.at("body") == json{{"order", {{"@id", "7"}, {"item", {"a", "b"}}}}});
    const json form = byType("multipart/form-data");
    CHECK(form.at("body") == json{{"note", "hi"}});
    REQUIRE(form.at("attachments").size() == 1);
    CHECK(form.at("attachments")[0].at("name") == "a.txt");
    CHECK(form.at("attachments")[0].at("sha256") == sha256Hex("file-bytes"));
    const json png = byType("image/png");
    REQUIRE(png.at("attachments").size() == 1);
    CHECK(png.at("attachments")[0].at("size") == raw.size());
    CHECK(png.at("attachments")[0].at("sha256") == sha256Hex(raw));

    // The executions finished: their attachments are removed.
    CHECK(eventually([&] {
        std::error_code ec;
        auto it = std::filesystem::directory_iterator(config.dataDir() / "attachments", ec);
        return ec || it == std::filesystem::directory_iterator();
    }));
}

TEST_CASE("XML bombs and external entities are refused quickly", "[e2e][inputs]") {
    TestConfig config;
    const auto out = config.file("out.log");
    config.addFlow(logFlow("in", out));
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());

    std::string bomb = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">";
    for (int i = 1; i < 10; ++i)
        bomb += "<!ENTITY lol" + std::to_string(i) + " \"" + std::string("&lol") +
                (i > 1 ? std::to_string(i - 1) : "") + ";&lol" + (i > 1 ? std::to_string(i - 1) : "") + ";\">";
    bomb += "]><lolz>&lol9;</lolz>";
    const std::string xxe = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>";

    for (const auto& doc : {bomb, xxe}) {
        const auto start = std::chrono::steady_clock::now();
        const auto res = request(engine.port(), {"POST", "/hook/in", doc, "text/xml", {}, false});
        CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
        CHECK(res.status == 400);
        CHECK(res.json().at("error") == "xml_dtd_refused");
        CHECK(res.body.find("root:") == std::string::npos);
    }
    CHECK(jsonLines(out).empty());
}

TEST_CASE("a repeated delivery id is answered with the first requestId, also after a restart",
          "[e2e][dedupe]") {
    TestConfig config;
    const auto out = config.file("out.log");
    config.addFlow(logFlow("gh", out));
    const std::map<std::string, std::string> delivery = {{"X-GitHub-Delivery", "d-42"}};
    std::string first;
    {
        EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
        const auto a = request(engine.port(), {"POST", "/hook/gh", "{}", "application/json", delivery, false});
        REQUIRE(a.status == 202);
        first = a.json().at("requestId");
        const auto b = request(engine.port(), {"POST", "/hook/gh", "{}", "application/json", delivery, false});
        CHECK(b.status == 200);
        CHECK(b.json().at("requestId") == first);
        CHECK(request(engine.port(), {"POST", "/hook/gh", "{}", "application/json",
                                      {{"X-GitHub-Delivery", "d-43"}}, false})
                  .status == 202);
        REQUIRE(eventually([&] { return jsonLines(out).size() == 2; }));
        CHECK(engine.terminate() == 0);
    }
    EngineProcess again(config.configDir(), allPluginDirs(), config.logFile());
    const auto c = request(again.port(), {"POST", "/hook/gh", "{}", "application/json", delivery, false});
    CHECK(c.status == 200);
    CHECK(c.json().at("requestId") == first);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    CHECK(jsonLines(out).size() == 2);
}
