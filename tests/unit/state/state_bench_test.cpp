// State writes per second on a private PostgreSQL server (fsync on, as deployed): the
// webhook path (received() with a dedupe key: claim + execution + item in one commit)
// and the worker path (settle() of a completed step with one output). Hidden from ctest
// (the [.] tag); run it by hand:
//
//   build/tests/flowgate_tests '[state-bench]'
//
// Each figure is the median of 3 runs of 3 s with 16 threads on 16 connections.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "unit/state/state_test_support.hpp"

using namespace std::chrono_literals;
using flowgate::state::Settlement;
using flowgate::test::itemRef;
using flowgate::test::PostgresServer;
using flowgate::test::receivedOf;
using flowgate::test::stateOptions;

namespace {

constexpr int kThreads = 16;
constexpr auto kRun = 3s;

// Calls op(thread, n) from kThreads threads for kRun; returns calls per second.
template <class Op>
double rate(Op op) {
    std::atomic<bool> stop{false};
    std::atomic<long> calls{0};
    std::vector<std::thread> threads;
    const auto start = std::chrono::steady_clock::now();
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (long n = 0; !stop; ++n) {
                op(t, n);
                ++calls;
            }
        });
    }
    std::this_thread::sleep_for(kRun);
    stop = true;
    for (auto& th : threads) th.join();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return static_cast<double>(calls) / seconds;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

TEST_CASE("state bench: writes per second of the webhook path and of a settle",
          "[.][state-bench]") {
    PostgresServer server;
    auto options = stateOptions(server.createSchema());
    options.connections = kThreads;
    auto state = flowgate::state::openPostgresState(options);

    std::vector<double> received, settled;
    for (int run = 0; run < 3; ++run) {
        const std::string tag = "r" + std::to_string(run) + "-";
        received.push_back(rate([&](int t, long n) {
            const std::string e = tag + std::to_string(t) + "-" + std::to_string(n);
            state->received(receivedOf(e, "flow-a\nx-id\n" + e));
        }));
        // Settles the executions just received: step s1 completes with one output.
        settled.push_back(rate([&](int t, long n) {
            const std::string e = tag + std::to_string(t) + "-" + std::to_string(n);
            auto s = flowgate::test::settlement(itemRef(e + ".0", e), Settlement::Kind::completed);
            s.next = {itemRef(e + ".0.0", e, "s2")};
            state->settle({s});
        }));
        std::printf("run %d: received %.0f/s, settle %.0f/s\n", run + 1, received.back(),
                    settled.back());
    }
    std::printf("state bench (%d threads, fsync on): webhook path (claim + record) %.0f/s, "
                "settle (completed + 1 output) %.0f/s — medians of 3\n",
                kThreads, median(received), median(settled));
    CHECK(median(received) > 0);
}
