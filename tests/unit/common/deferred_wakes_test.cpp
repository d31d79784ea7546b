// DeferredWakes: the wakes a run of callbacks asks for happen once per key, at its end.
#include <catch2/catch.hpp>

#include <string>
#include <thread>
#include <vector>

#include "flowgate/common/deferred_wakes.hpp"

using flowgate::common::DeferredWakes;

TEST_CASE("without a scope a wake is not deferred: the caller wakes at once", "[common]") {
    bool ran = false;
    CHECK_FALSE(DeferredWakes::defer(&ran, [&] { ran = true; }));
    CHECK_FALSE(ran);
}

TEST_CASE("a scope runs each key's wake once, at its end, in the order first deferred",
          "[common]") {
    std::vector<std::string> woken;
    const int a = 0;
    const int b = 0;
    {
        DeferredWakes scope;
        for (int i = 0; i < 3; ++i) {
            CHECK(DeferredWakes::defer(&a, [&] { woken.push_back("a"); }));
            CHECK(DeferredWakes::defer(&b, [&] { woken.push_back("b"); }));
        }
        {
            DeferredWakes inner;  // adds nothing: the outer scope runs the wakes
            CHECK(DeferredWakes::defer(&a, [&] { woken.push_back("a again"); }));
        }
        CHECK(woken.empty());
    }
    CHECK(woken == std::vector<std::string>{"a", "b"});
    // Closed: the next wake is the caller's again.
    CHECK_FALSE(DeferredWakes::defer(&a, [] {}));
}

TEST_CASE("a scope is its thread's alone", "[common]") {
    DeferredWakes scope;
    bool deferredElsewhere = true;
    std::thread([&] { deferredElsewhere = DeferredWakes::defer(&scope, [] {}); }).join();
    CHECK_FALSE(deferredElsewhere);
}
