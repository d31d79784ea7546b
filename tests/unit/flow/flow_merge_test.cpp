// Merging a reload's flows with the running ones, file by file.
#include <catch2/catch.hpp>

#include <algorithm>

#include "flow/flow_merge.hpp"

using namespace flowgate::flow;

namespace {

std::shared_ptr<const Flow> makeFlow(const std::string& id, const std::string& file,
                                     const std::string& fingerprint) {
    auto flow = std::make_shared<Flow>();
    flow->id = id;
    flow->file = file;
    flow->fingerprint = fingerprint;
    return flow;
}

bool has(const std::vector<std::string>& items, const std::string& item) {
    return std::find(items.begin(), items.end(), item) != items.end();
}

}  // namespace

TEST_CASE("a reload keeps unchanged flows, takes new versions, and keeps broken files' flows",
          "[reload][flow]") {
    FlowSet running;
    const auto same = makeFlow("same", "f/same.json", "aa");
    const auto changed = makeFlow("changed", "f/changed.json", "bb");
    const auto broken = makeFlow("broken", "f/broken.json", "cc");
    const auto gone = makeFlow("gone", "f/gone.json", "dd");
    for (const auto& f : {same, changed, broken, gone}) running.add(f);

    FlowLoadResult fresh;
    auto flows = std::make_shared<FlowSet>();
    flows->add(makeFlow("same", "f/same.json", "aa"));
    const auto newVersion = makeFlow("changed", "f/changed.json", "b2");
    flows->add(newVersion);
    const auto added = makeFlow("added", "f/added.json", "ee");
    flows->add(added);
    fresh.flows = flows;
    fresh.errors = {{"f/broken.json", "/steps/0/component", "unknown component 'x'"},
                    {"f/new-and-broken.json", "", "not JSON"}};

    const auto merged = mergeFlows(running, fresh);
    const auto& set = *merged.flows;
    CHECK(set.all().size() == 4);
    CHECK(set.find("same") == same);  // the very object: its steps carry on
    CHECK(set.find("changed") == newVersion);
    CHECK(set.find("added") == added);
    CHECK(set.find("broken") == broken);  // previous version runs on
    CHECK(set.find("gone") == nullptr);

    const auto& c = merged.changes;
    CHECK(c.added == std::vector<std::string>{"added"});
    CHECK(c.updated == std::vector<std::string>{"changed"});
    CHECK(c.removed == std::vector<std::string>{"gone"});
    CHECK(c.kept == std::vector<std::string>{"broken"});
    CHECK(c.refused == std::vector<std::string>{"f/new-and-broken.json"});
    // The inputs are untouched.
    CHECK(running.all().size() == 4);
    CHECK(running.find("changed") == changed);
}

TEST_CASE("a flow with no fingerprint is never taken for unchanged", "[reload][flow]") {
    FlowSet running;
    running.add(makeFlow("a", "f/a.json", ""));
    FlowLoadResult fresh;
    auto flows = std::make_shared<FlowSet>();
    const auto rebuilt = makeFlow("a", "f/a.json", "");
    flows->add(rebuilt);
    fresh.flows = flows;
    const auto merged = mergeFlows(running, fresh);
    CHECK(merged.flows->find("a") == rebuilt);
    CHECK(has(merged.changes.updated, "a"));
}

TEST_CASE("a broken file whose flow id is now taken by another file is not kept",
          "[reload][flow]") {
    FlowSet running;
    const auto old = makeFlow("x", "f/one.json", "11");
    running.add(old);
    FlowLoadResult fresh;
    auto flows = std::make_shared<FlowSet>();
    const auto other = makeFlow("x", "f/two.json", "22");
    flows->add(other);
    fresh.flows = flows;
    fresh.errors = {{"f/one.json", "/id", "broken"}};
    const auto merged = mergeFlows(running, fresh);
    CHECK(merged.flows->find("x") == other);
    CHECK(merged.changes.kept.empty());
    CHECK(merged.changes.refused == std::vector<std::string>{"f/one.json"});
}
