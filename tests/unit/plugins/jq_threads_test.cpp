// jq steps under threads: one step run from many threads at once, and threads that ran
// jq programs living on after the plugin is unloaded.
#include <dlfcn.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "flowgate/testkit.hpp"
#include "support/build_paths.hpp"
#include "unit/plugins/plugin_under_test.hpp"

using flowgate::Message;
using flowgate::testing::loadRealComponent;
using flowgate::testing::makeStep;
using flowgate::testkit::RecordingStepContext;
using nlohmann::json;

TEST_CASE("one jq step runs correctly from 8 threads at once", "[plugins][jq]") {
    auto jq = loadRealComponent("libflowgate-jq.so", "jq");
    auto transform = makeStep(
        *jq, "transform",
        {{"expression", "{thread: .t, square: (.n * .n), label: (.n | tostring | \"n=\" + .)}"}});
    auto filter = makeStep(*jq, "filter", {{"expression", ".n % 2 == 0"}});
    constexpr int kThreads = 8;
    constexpr int kRuns = 500;
    std::atomic<int> wrong{0};
    std::atomic<int> passed{0};

    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            RecordingStepContext context;  // contexts are per run, never shared
            for (int n = 0; n < kRuns; ++n) {
                Message input;
                input.id = std::to_string(t) + "-" + std::to_string(n);
                input.body = {{"t", t}, {"n", n}};
                context.clear();
                const auto result = transform->execute(input, context);
                const json expected = {
                    {"thread", t}, {"square", n * n}, {"label", "n=" + std::to_string(n)}};
                if (!result.ok || context.emitted().size() != 1 ||
                    context.emitted()[0].message.body != expected ||
                    context.emitted()[0].message.id != input.id)
                    ++wrong;
                context.clear();
                if (!filter->execute(input, context).ok) ++wrong;
                if (context.emitted().size() != (n % 2 == 0 ? 1u : 0u)) ++wrong;
                passed += static_cast<int>(context.emitted().size());
            }
        });
    }
    for (auto& thread : threads) thread.join();

    CHECK(wrong == 0);
    CHECK(passed == kThreads * kRuns / 2);
}

// libjq keeps per-thread state (its number formatting context, ...). Were any of it
// cleaned up by code that goes away with the plugin, such as pthread key destructors in
// builds of libjq that use them, a worker thread would crash when it exits.
TEST_CASE("threads that ran jq programs outlive the unloaded jq plugin", "[plugins][jq]") {
    const std::string file = std::string(flowgate::test::paths::pluginDir) + "/libflowgate-jq.so";
    std::mutex mutex;
    std::condition_variable changed;
    bool ran = false;
    bool unloaded = false;
    bool ok = false;

    auto step = makeStep(*loadRealComponent("libflowgate-jq.so", "jq"), "transform",
                         {{"expression", ".n | tostring"}});
    // The worker keeps running after the plugin is gone and exits only then, when the C
    // library runs whatever was registered for the end of its thread.
    std::thread worker([&] {
        RecordingStepContext context;
        Message input;
        input.body = {{"n", 1.5}};
        const bool result = step->execute(input, context).ok && !context.emitted().empty() &&
                            context.emitted()[0].message.body == "1.5";
        std::unique_lock lock(mutex);
        ok = result;
        ran = true;
        changed.notify_all();
        changed.wait(lock, [&] { return unloaded; });
    });
    {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return ran; });
    }
    step.reset();  // the last reference to the plugin

    void* stillLoaded = dlopen(file.c_str(), RTLD_NOW | RTLD_NOLOAD);
    if (stillLoaded != nullptr) dlclose(stillLoaded);
    {
        std::lock_guard lock(mutex);
        unloaded = true;
    }
    changed.notify_all();
    worker.join();  // crashes here if the thread's clean-up code was unloaded

    CHECK(ok);
    CHECK(stillLoaded == nullptr);  // the plugin itself was unloaded
}
