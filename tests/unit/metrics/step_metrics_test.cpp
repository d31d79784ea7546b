#include <catch2/catch.hpp>

#include <string>

#include "metrics/exposition.hpp"
#include "metrics/step_metrics.hpp"

using namespace flowgate;

TEST_CASE("step runs are counted per flow, step and outcome, each series on its own",
          "[metrics]") {
    metrics::StepMetrics steps;
    for (int i = 0; i < 3; ++i) steps.ran("orders", "log", "completed", 0.002);
    steps.ran("orders", "log", "failed", std::nullopt);
    // Label values that would run together if they were simply concatenated.
    steps.ran("ab", "c", "completed", 0.5);
    steps.ran("a", "bc", "completed", std::nullopt);

    const std::string text = metrics::exposition(steps.collect());
    INFO(text);
    const auto has = [&](const std::string& line) {
        return text.find(line + "\n") != std::string::npos;
    };
    CHECK(has(R"(flowgate_step_runs_total{flow="orders",outcome="completed",step="log"} 3)"));
    CHECK(has(R"(flowgate_step_runs_total{flow="orders",outcome="failed",step="log"} 1)"));
    CHECK(has(R"(flowgate_step_runs_total{flow="ab",outcome="completed",step="c"} 1)"));
    CHECK(has(R"(flowgate_step_runs_total{flow="a",outcome="completed",step="bc"} 1)"));
    CHECK(has(R"(flowgate_step_duration_seconds_count{flow="orders",step="log"} 3)"));
    CHECK(has(R"(flowgate_step_duration_seconds_count{flow="ab",step="c"} 1)"));
    CHECK(text.find(R"(flowgate_step_duration_seconds_count{flow="a",step="bc"})") ==
          std::string::npos);  // its run time was not known
}
