// HTTPS on the webhook port against a real engine: a client that verifies the test CA
// is served like a plain one, with the same framing rules and deadlines; plain HTTP and
// old protocol versions are refused; SIGHUP loads a renewed certificate.
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <thread>

#include <catch2/catch.hpp>

#include "support/build_paths.hpp"
#include "support/engine_process.hpp"
#include "support/raw_http.hpp"
#include "support/test_config.hpp"

using namespace flowgate::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const fs::path kTlsDir = fs::path(flowgate::test::paths::testDataDir) / "tls";

json loggerFlow(const fs::path& out) {
    return {{"id", "open"},
            {"steps",
             {{{"id", "log"},
               {"component", "logger"},
               {"function", "log"},
               {"config", {{"file", out.string()}}}}}}};
}

// Installs `name`.pem/.key from the test CA's directory as the engine's cert.pem/key.pem.
void installCertificate(const TestConfig& config, const std::string& name) {
    writeFile(config.file("cert.pem"), readFile(kTlsDir / (name + ".pem")));
    writeFile(config.file("key.pem"), readFile(kTlsDir / (name + ".key")));
}

json tlsEngine(const TestConfig& files, json http = json::object()) {
    http["tls"] = {{"certFile", files.file("cert.pem").string()},
                   {"keyFile", files.file("key.pem").string()}};
    return {{"http", http}};
}

std::string post(const std::string& body) {
    return "POST /hook/open HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
           "Content-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
}

// A JSON error answer, then the end of the connection.
void refusedAndClosed(RawConnection& connection, const std::string& bytes, int status,
                      const std::string& code) {
    INFO(bytes.substr(0, 120));
    connection.send(bytes);
    const RawResponse answer = connection.readResponse();
    REQUIRE(answer.status == status);
    CHECK(answer.json().at("error") == code);
    CHECK(connection.closesWithoutAnswer());
}

struct Run {
    int exitCode;
    std::string err;  // the last line of stderr
    std::string out;
};

// The exit code and the one line that says why it did not start (the lines before it are
// the engine's log).
Run runFlowgate(const std::string& args, const fs::path& errFile) {
    const fs::path outFile = errFile.string() + ".out";
    const std::string command = std::string(flowgate::test::paths::binary) + " " + args + " >" +
                                outFile.string() + " 2>" + errFile.string();
    const int status = std::system(command.c_str());
    const std::string err = readFile(errFile);
    const auto start = err.rfind('\n', err.size() >= 2 ? err.size() - 2 : 0);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1,
            start == std::string::npos ? err : err.substr(start + 1), readFile(outFile)};
}

}  // namespace

TEST_CASE("HTTPS: a client that verifies the test CA posts a webhook, it is processed",
          "[e2e][https]") {
    TestConfig files;
    installCertificate(files, "server");
    TestConfig config(tlsEngine(files));
    const auto out = config.file("out.log");
    config.addFlow(loggerFlow(out));
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());
    CHECK(engine.banner().at(0).find("listening on https://") != std::string::npos);

    RawConnection tls(engine.port(), TlsClientOptions{});
    CHECK(tls.peerSubject() == "/CN=server");
    tls.send(post(R"({"n":1})"));
    auto answer = tls.readResponse();
    REQUIRE(answer.status == 202);
    const std::string first = answer.json().at("requestId");
    // Keep-alive, and a body of many TLS records.
    const std::string big = R"({"text":")" + std::string(300 * 1024, 'x') + R"("})";
    tls.send(post(big));
    answer = tls.readResponse();
    REQUIRE(answer.status == 202);
    const std::string second = answer.json().at("requestId");
    // Expect: 100-continue: the interim answer comes over TLS too.
    tls.send(
        "POST /hook/open HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        "Expect: 100-continue\r\nContent-Length: 7\r\n\r\n");
    CHECK(tls.readResponse().status == 100);
    tls.send(R"({"n":3})");
    answer = tls.readResponse();
    REQUIRE(answer.status == 202);
    const std::string third = answer.json().at("requestId");
    CHECK(eventually([&] { return allLogged({first, second, third}, out); }));
    // The same framing rules as plain HTTP: the same 400 and 505, then the connection ends.
    refusedAndClosed(tls,
                     "POST /hook/open HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
                     400, "ambiguous_framing");
    RawConnection again(engine.port(), TlsClientOptions{});
    refusedAndClosed(again, "POST /hook/open HTTP/9.9\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}",
                     505, "http_version_not_supported");
    RawConnection cut(engine.port(), TlsClientOptions{});
    cut.send("POST /hook/open HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n{\"amount\":");
    cut.shutdownWrite();
    CHECK(cut.closesWithoutAnswer());
    CHECK(requestIdsIn(out).size() == 3);  // nothing incomplete or refused was stored

    // Many keep-alive TLS clients at once: handler threads and the loop share the work.
    std::atomic<int> accepted{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < 8; ++t)
        clients.emplace_back([&] {
            try {
                RawConnection client(engine.port(), TlsClientOptions{});
                for (int i = 0; i < 25; ++i) {
                    client.send(post(R"({"k":)" + std::to_string(i) + "}"));
                    if (client.readResponse().status == 202) ++accepted;
                }
            } catch (const std::exception&) {
                // counted as not accepted
            }
        });
    for (auto& client : clients) client.join();
    CHECK(accepted == 200);

    // A client that checks the name finds that the certificate is not for it.
    TlsClientOptions otherName;
    otherName.serverName = "wrong-name.invalid";
    CHECK_THROWS_WITH(RawConnection(engine.port(), otherName),
                      Catch::Contains("certificate verify failed"));
    CHECK(engine.terminate() == 0);
}

TEST_CASE("HTTPS refuses plain HTTP and TLS 1.1, minVersion 1.3 refuses 1.2", "[e2e][https]") {
    TestConfig files;
    installCertificate(files, "server");
    TestConfig config(tlsEngine(files));
    config.addFlow(loggerFlow(config.file("out.log")));
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());

    RawConnection plain(engine.port());
    plain.send(post("{}"));
    CHECK(plain.readResponse(std::chrono::seconds(5)).status == 0);  // no HTTP answer

    TlsClientOptions tls11;
    tls11.minVersion = TLS1_1_VERSION;
    tls11.maxVersion = TLS1_1_VERSION;
    CHECK_THROWS(RawConnection(engine.port(), tls11));
    // The same client, allowed 1.2, gets in: the refusal above was the server's.
    TlsClientOptions upTo12 = tls11;
    upTo12.maxVersion = TLS1_2_VERSION;
    CHECK_NOTHROW(RawConnection(engine.port(), upTo12));
    CHECK(engine.terminate() == 0);

    TestConfig strict(json{{"http",
                            {{"tls",
                              {{"certFile", files.file("cert.pem").string()},
                               {"keyFile", files.file("key.pem").string()},
                               {"minVersion", "1.3"}}}}}});
    strict.addFlow(loggerFlow(strict.file("out.log")));
    EngineProcess engine13(strict.configDir(), allPluginDirs(), strict.logFile());
    TlsClientOptions only12;
    only12.maxVersion = TLS1_2_VERSION;
    CHECK_THROWS(RawConnection(engine13.port(), only12));
    RawConnection modern(engine13.port(), TlsClientOptions{});
    modern.send(post("{}"));
    CHECK(modern.readResponse().status == 202);
    CHECK(engine13.terminate() == 0);
}

TEST_CASE("a TLS handshake that stalls is closed at the header deadline", "[e2e][https]") {
    TestConfig files;
    installCertificate(files, "server");
    TestConfig config(tlsEngine(files, {{"headerTimeoutMs", 700}}));
    config.addFlow(loggerFlow(config.file("out.log")));
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());

    const auto began = std::chrono::steady_clock::now();
    RawConnection silent(engine.port());  // connects, says nothing
    RawConnection partial(engine.port());
    partial.send(std::string("\x16\x03\x01\x02\x00\x01", 6));  // a ClientHello's first bytes
    CHECK(silent.closesWithoutAnswer(std::chrono::seconds(5)));
    CHECK(partial.closesWithoutAnswer(std::chrono::seconds(5)));
    CHECK(std::chrono::steady_clock::now() - began >= std::chrono::milliseconds(600));

    // The handshake's time counts against the first request's header deadline.
    RawConnection slow(engine.port(), TlsClientOptions{});
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    slow.send("POST /hook/open HTTP/1.1\r\nHost: h\r\n");
    CHECK(slow.closesWithoutAnswer(std::chrono::seconds(5)));
    CHECK(std::chrono::steady_clock::now() - began < std::chrono::seconds(5));

    // A client that gets on with it is served meanwhile.
    RawConnection prompt(engine.port(), TlsClientOptions{});
    prompt.send(post("{}"));
    CHECK(prompt.readResponse().status == 202);
    CHECK(engine.terminate() == 0);
}

TEST_CASE("SIGHUP loads a renewed certificate, one that does not load keeps the current",
          "[e2e][https]") {
    TestConfig files;
    installCertificate(files, "server");
    TestConfig config(tlsEngine(files));
    config.addFlow(loggerFlow(config.file("out.log")));
    EngineProcess engine(config.configDir(), allPluginDirs(), config.logFile());

    RawConnection before(engine.port(), TlsClientOptions{});
    REQUIRE(before.peerSubject() == "/CN=server");
    const std::string oldSerial = before.peerSerial();

    installCertificate(files, "server2");
    ::kill(engine.pid(), SIGHUP);
    std::string serial;
    CHECK(eventually([&] {
        RawConnection after(engine.port(), TlsClientOptions{});
        serial = after.peerSerial();
        return after.peerSubject() == "/CN=server2";
    }));
    CHECK(serial != oldSerial);
    // A connection made before the swap goes on with its session.
    before.send(post("{}"));
    CHECK(before.readResponse().status == 202);

    // A broken renewal: the key of another certificate.
    writeFile(files.file("key.pem"), readFile(kTlsDir / "server.key"));
    ::kill(engine.pid(), SIGHUP);
    CHECK(eventually([&] {
        return readFile(config.logFile()).find("TLS certificate not reloaded") != std::string::npos;
    }));
    RawConnection still(engine.port(), TlsClientOptions{});
    CHECK(still.peerSubject() == "/CN=server2");
    still.send(post("{}"));
    CHECK(still.readResponse().status == 202);
    CHECK(engine.terminate() == 0);
}

TEST_CASE("a certificate that cannot be used stops the start with one line", "[e2e][https]") {
    TestConfig files;
    installCertificate(files, "server");
    writeFile(files.file("key.pem"), readFile(kTlsDir / "server2.key"));  // not its key
    TestConfig mismatch(tlsEngine(files));
    const std::string args = std::string(" --port 0 --plugins ") + flowgate::test::paths::pluginDir;
    Run run = runFlowgate("run --config " + mismatch.configDir().string() + args,
                          mismatch.file("err.txt"));
    CHECK(run.exitCode == 1);
    CHECK(run.err.find("flowgate: HTTPS: the private key " + files.file("key.pem").string() +
                       " does not match the certificate") == 0);
    run = runFlowgate("validate --config " + mismatch.configDir().string() + args,
                      mismatch.file("validate.txt"));
    CHECK(run.exitCode == 1);
    CHECK(run.out.find((mismatch.configDir() / "engine.json").string() +
                       ": /http/tls: the private key " + files.file("key.pem").string() +
                       " does not match the certificate") != std::string::npos);

    TestConfig missing(json{{"http",
                             {{"tls",
                               {{"certFile", files.file("nothing.pem").string()},
                                {"keyFile", files.file("key.pem").string()}}}}}});
    run =
        runFlowgate("run --config " + missing.configDir().string() + args, missing.file("err.txt"));
    CHECK(run.exitCode == 1);
    CHECK(run.err.find("flowgate: HTTPS: cannot load the certificate " +
                       files.file("nothing.pem").string()) == 0);
}
