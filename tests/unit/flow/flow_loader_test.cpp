// Loading flows against the real plugins: valid flows start, every broken one is
// refused with file, JSON pointer and reason.
#include <catch2/catch.hpp>

#include "unit/plugins/plugin_under_test.hpp"

#include "config/credential_store.hpp"
#include "flow/flow_loader.hpp"
#include "support/temp_dir.hpp"

using namespace flowgate;
using flowgate::test::TempDir;
using flowgate::test::writeFile;
using nlohmann::json;

namespace {

json logStep(const std::string& id) {
    return {{"id", id}, {"component", "logger"}, {"function", "log"}, {"config", json::object()}};
}

bool hasError(const config::ConfigErrors& errors, const std::string& fileEnd,
              const std::string& pointer, const std::string& reasonPart) {
    for (const auto& e : errors) {
        const bool fileMatches = e.file.size() >= fileEnd.size() &&
                                 e.file.compare(e.file.size() - fileEnd.size(), fileEnd.size(), fileEnd) == 0;
        if (fileMatches && e.pointer == pointer && e.reason.find(reasonPart) != std::string::npos)
            return true;
    }
    return false;
}

std::string describe(const config::ConfigErrors& errors) {
    std::string out;
    for (const auto& e : errors) out += e.toString() + "\n";
    return out;
}

}  // namespace

TEST_CASE("valid flows load, each broken flow is refused with file, pointer and reason",
          "[flow]") {
    TempDir dir;
    auto flowFile = [&](const std::string& name, const json& doc) {
        writeFile(dir / name, doc.dump());
    };
    flowFile("good.json", {{"id", "good"}, {"steps", {logStep("a"), logStep("b")}}});
    flowFile("unknown-component.json",
             {{"id", "u1"}, {"steps", {{{"id", "x"}, {"component", "nope"}, {"function", "log"}}}}});
    flowFile("unknown-function.json",
             {{"id", "u2"}, {"steps", {{{"id", "x"}, {"component", "logger"}, {"function", "shout"}}}}});
    flowFile("bad-config.json",
             {{"id", "u3"},
              {"steps", {logStep("a"),
                         {{"id", "x"}, {"component", "logger"}, {"function", "log"},
                          {"config", {{"level", "loud"}}}}}}});
    flowFile("bad-jq.json",
             {{"id", "u4"},
              {"steps", {{{"id", "x"}, {"component", "jq"}, {"function", "transform"},
                          {"config", {{"expression", "{a: .b"}}}}}}});
    flowFile("dup-step.json", {{"id", "u5"}, {"steps", {logStep("a"), logStep("a")}}});
    json badNext = logStep("a");
    badNext["next"] = "missing";
    flowFile("bad-next.json", {{"id", "u6"}, {"steps", {badNext}}});
    flowFile("no-steps.json", {{"id", "u7"}});
    writeFile(dir / "not-json.json", "{\"id\": ");
    flowFile("z-duplicate.json", {{"id", "good"}, {"steps", {logStep("a")}}});
    json needsCredential = logStep("a");
    needsCredential["credential"] = "nobody";
    flowFile("credential.json", {{"id", "u8"}, {"steps", {needsCredential}}});

    config::ConfigErrors credentialErrors;
    const auto credentials = config::CredentialStore::load(dir / "none", credentialErrors);
    const auto result = flow::loadFlows(dir.path(), *flowgate::testing::loadRealComponents(), credentials, {});
    INFO(describe(result.errors));

    REQUIRE(result.flows->all().size() == 1);
    const auto good = result.flows->find("good");
    REQUIRE(good);
    REQUIRE(good->steps.size() == 2);
    CHECK(good->nextStep(good->steps[0], "default") == &good->steps[1]);
    CHECK(good->nextStep(good->steps[1], "default") == nullptr);

    CHECK(hasError(result.errors, "unknown-component.json", "/steps/0/component",
                   "unknown component 'nope'"));
    CHECK(hasError(result.errors, "unknown-function.json", "/steps/0/function",
                   "has no function 'shout'"));
    CHECK(hasError(result.errors, "bad-config.json", "/steps/1/config/level", ""));
    CHECK(hasError(result.errors, "bad-jq.json", "/steps/0/config", ""));
    CHECK(hasError(result.errors, "dup-step.json", "/steps/1/id", "duplicate step id 'a'"));
    CHECK(hasError(result.errors, "bad-next.json", "/steps/0/next", "no step with id 'missing'"));
    CHECK(hasError(result.errors, "no-steps.json", "", "steps"));
    CHECK(hasError(result.errors, "not-json.json", "", "not valid JSON"));
    CHECK(hasError(result.errors, "z-duplicate.json", "/id", "already defined in"));
    CHECK(hasError(result.errors, "credential.json", "/steps/0/credential",
                   "unknown credential 'nobody'"));
}

TEST_CASE("a step's next can name outputs and skip ahead", "[flow]") {
    TempDir dir;
    json first = logStep("a");
    first["next"] = {{"default", "c"}, {"other", "b"}};
    json last = logStep("c");
    last["next"] = nullptr;
    writeFile(dir / "f.json", json{{"id", "f"}, {"steps", {first, logStep("b"), last}}}.dump());
    config::ConfigErrors none;
    const auto result = flow::loadFlows(dir.path(), *flowgate::testing::loadRealComponents(),
                                        config::CredentialStore::load(dir / "x", none), {});
    INFO(describe(result.errors));
    REQUIRE(result.errors.empty());
    const auto f = result.flows->find("f");
    CHECK(f->nextStep(f->steps[0], "default")->id == "c");
    CHECK(f->nextStep(f->steps[0], "other")->id == "b");
    CHECK(f->nextStep(f->steps[1], "default")->id == "c");
    CHECK(f->nextStep(f->steps[2], "default") == nullptr);
}

TEST_CASE("a flow's retry policy overrides the engine's", "[flow]") {
    TempDir dir;
    writeFile(dir / "f.json", json{{"id", "f"},
                                   {"retry", {{"maxAttempts", 9}}},
                                   {"steps", {logStep("a")}}}
                                  .dump());
    config::ConfigErrors none;
    config::RetryPolicy defaults;
    defaults.initialDelay = std::chrono::milliseconds(77);
    const auto result = flow::loadFlows(dir.path(), *flowgate::testing::loadRealComponents(),
                                        config::CredentialStore::load(dir / "x", none), defaults);
    REQUIRE(result.errors.empty());
    const auto f = result.flows->find("f");
    CHECK(f->retry.maxAttempts == 9);
    CHECK(f->retry.initialDelay.count() == 77);
}

TEST_CASE("a step's config carries its schema's defaults, what the flow wrote is kept",
          "[flow]") {
    TempDir dir;
    writeFile(dir / "f.json",
              json{{"id", "f"},
                   {"steps",
                    {{{"id", "shape"},
                      {"component", "jq"},
                      {"function", "transform"},
                      {"config", {{"expression", "."}}}},
                     {{"id", "call"},
                      {"component", "http"},
                      {"function", "request"},
                      {"config", {{"url", "https://example.com/"}, {"method", "GET"}}}}}}}
                  .dump());
    config::ConfigErrors none;
    const auto result = flow::loadFlows(dir.path(), *flowgate::testing::loadRealComponents(),
                                        config::CredentialStore::load(dir / "x", none), {});
    INFO(describe(result.errors));
    REQUIRE(result.errors.empty());
    const auto f = result.flows->find("f");
    CHECK(f->steps[0].config == json{{"expression", "."}, {"scope", "body"}});
    const json& call = f->steps[1].config;
    CHECK(call.at("method") == "GET");
    CHECK(call.at("timeoutMs") == 30000);
    CHECK(call.at("tls") == json{{"verify", true}});
    CHECK(call.at("headers") == json::object());
}

TEST_CASE("a step credential is checked against its component's credential type at load",
          "[flow]") {
    TempDir dir;
    writeFile(dir / "credentials" / "auth.json",
              json{{"id", "auth"}, {"type", "http-auth"}, {"scheme", "bearer"}}.dump());
    writeFile(dir / "credentials" / "ok.json",
              json{{"id", "ok"}, {"type", "http-auth"}, {"scheme", "bearer"}, {"token", "t0k3n"}}.dump());
    auto flow = [&](const std::string& id, const std::string& credential) {
        writeFile(dir / "flows" / (id + ".json"),
                  json{{"id", id},
                       {"steps",
                        {{{"id", "call"},
                          {"component", "http"},
                          {"function", "authorizedRequest"},
                          {"credential", credential},
                          {"config", {{"url", "https://example.com/"}}}}}}}
                      .dump());
    };
    flow("broken", "auth");
    flow("fine", "ok");
    config::ConfigErrors credentialErrors;
    const auto credentials = config::CredentialStore::load(dir / "credentials", credentialErrors);
    REQUIRE(credentialErrors.empty());
    const auto result =
        flow::loadFlows(dir / "flows", *flowgate::testing::loadRealComponents(), credentials, {});
    INFO(describe(result.errors));
    CHECK(result.flows->find("fine"));
    CHECK_FALSE(result.flows->find("broken"));
    CHECK(hasError(result.errors, "broken.json", "/steps/0/credential",
                   "credential 'auth' is not a valid 'http-auth' credential"));
    // The credential file and what it lacks.
    CHECK(hasError(result.errors, "auth.json", "", "Missing required property 'token'"));
    CHECK(describe(result.errors).find("t0k3n") == std::string::npos);
}
