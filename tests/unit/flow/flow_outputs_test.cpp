// A step's `next` against the outputs its function declares: a router's outputs are the
// branch names (and default) in its config, and a key that names none of them is refused.
#include <optional>

#include <catch2/catch.hpp>

#include "unit/plugins/plugin_under_test.hpp"

#include "config/credential_store.hpp"
#include "flow/flow_loader.hpp"
#include "plugin/function_outputs.hpp"
#include "support/temp_dir.hpp"

using namespace flowgate;
using flowgate::test::TempDir;
using flowgate::test::writeFile;
using nlohmann::json;
using Names = std::set<std::string, std::less<>>;

namespace {

json logStep(const std::string& id) {
    return {{"id", id}, {"component", "logger"}, {"function", "log"}, {"next", nullptr}};
}

json routeStep(std::optional<json> next) {
    json step = {{"id", "route"},
                 {"component", "router"},
                 {"function", "route"},
                 {"config",
                  {{"branches",
                    {{{"name", "big"}, {"condition", ".n > 10"}},
                     {{"name", "small"}, {"condition", ".n <= 10"}}}},
                   {"default", "odd"}}}};
    if (next) step["next"] = std::move(*next);
    return step;
}

flow::FlowLoadResult load(const std::optional<json>& routeNext) {
    static TempDir dir;  // one directory, one file rewritten per case
    writeFile(dir / "f.json",
              json{{"id", "f"},
                   {"steps", {routeStep(routeNext), logStep("a"), logStep("b"), logStep("c")}}}
                  .dump());
    config::ConfigErrors none;
    return flow::loadFlows(dir.path(), *flowgate::testing::loadRealComponents(),
                           config::CredentialStore::load(dir / "no-credentials", none), {});
}

std::string describe(const config::ConfigErrors& errors) {
    std::string out;
    for (const auto& e : errors) out += e.toString() + "\n";
    return out;
}

}  // namespace

TEST_CASE("declaredOutputs reads names and JSON pointers into the config", "[flow][router]") {
    FunctionSpec spec;
    CHECK(plugin::declaredOutputs(spec, json::object()).empty());

    spec.outputs = {"ok", "/branches/*/name", "/default", "/a~1b/~0c", "/list/1"};
    const json config = {
        {"branches", {{{"name", "x"}}, {{"name", 7}}, {{"other", "y"}}, {{"name", "z"}}}},
        {"a/b", {{"~c", "escaped"}}},
        {"list", {"first", "second"}}};
    CHECK(plugin::declaredOutputs(spec, config) == Names{"ok", "x", "z", "escaped", "second"});

    // A `*` also walks an object's members; pointers that lead nowhere name nothing.
    spec.outputs = {"/map/*", "/missing/*/name", "/list/9", "/list/x"};
    CHECK(plugin::declaredOutputs(spec, {{"map", {{"k1", "v1"}, {"k2", "v2"}}}, {"list", {"a"}}}) ==
          Names{"v1", "v2"});
}

TEST_CASE("a router step's next must name its configured outputs", "[flow][router]") {
    SECTION("every branch and the default, linked") {
        const auto result = load(json{{"big", "a"}, {"small", "b"}, {"odd", "c"}});
        INFO(describe(result.errors));
        REQUIRE(result.errors.empty());
        const auto f = result.flows->find("f");
        CHECK(f->nextStep(f->steps[0], "big")->id == "a");
        CHECK(f->nextStep(f->steps[0], "small")->id == "b");
        CHECK(f->nextStep(f->steps[0], "odd")->id == "c");
    }
    SECTION("some outputs unlinked: those messages go no further") {
        const auto result = load(json{{"big", "a"}});
        INFO(describe(result.errors));
        REQUIRE(result.errors.empty());
        CHECK(result.flows->find("f")->nextStep(result.flows->find("f")->steps[0], "small") ==
              nullptr);
    }
    SECTION("a key that is no output is refused with the outputs there are") {
        const auto result = load(json{{"big", "a"}, {"smal", "b"}});
        REQUIRE(result.errors.size() == 1);
        CHECK(result.errors[0].pointer == "/steps/0/next/smal");
        CHECK(result.errors[0].reason ==
              "'smal' is not an output of router.route (its outputs: default, big, odd, small)");
        CHECK(result.flows->find("f") == nullptr);
    }
    SECTION(
        "'default' always exists (emit()); a router sends nothing there unless a branch "
        "is named so") {
        CHECK(load(json{{"default", "a"}, {"big", "b"}}).errors.empty());
        CHECK(load(json("a")).errors.empty());
    }
    SECTION("without next, nothing to check (the following step gets nothing)") {
        const auto result = load(std::nullopt);
        INFO(describe(result.errors));
        CHECK(result.errors.empty());
    }
    SECTION("null ends the step: nothing to check") {
        CHECK(load(json(nullptr)).errors.empty());
    }
}
