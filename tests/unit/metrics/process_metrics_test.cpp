#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <ctime>
#include <vector>

#include "metrics/exposition.hpp"
#include "metrics/process_metrics.hpp"

using namespace flowgate;

TEST_CASE("process figures are read from /proc, and a process that is gone has none",
          "[metrics]") {
    std::vector<char> touched(8 << 20, 1);  // 8 MiB resident, at least
    const auto self = metrics::readProcess(::getpid());
    REQUIRE(self);
    CHECK(self->residentBytes >= 8 << 20);
    CHECK(self->openFds >= 3);  // stdin, stdout, stderr
    CHECK(self->maxFds >= self->openFds);
    CHECK(self->cpuSeconds >= 0);
    const double now = static_cast<double>(std::time(nullptr));
    CHECK(self->startTimeSeconds > now - 24 * 3600);
    CHECK(self->startTimeSeconds <= now + 1);

    const pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    ::waitpid(child, nullptr, 0);
    CHECK_FALSE(metrics::readProcess(child));
    CHECK(touched.back() == 1);
}

TEST_CASE("the exposition has the intake's process_* and the workers' sums", "[metrics]") {
    const std::string text = metrics::exposition(metrics::processFamilies({::getpid()}));
    CHECK(text.find("# TYPE process_cpu_seconds_total counter\n") != std::string::npos);
    CHECK(text.find("\nprocess_resident_memory_bytes ") != std::string::npos);
    CHECK(text.find("\nflowgate_workers 1") != std::string::npos);
    CHECK(text.find("\nflowgate_workers_resident_memory_bytes ") != std::string::npos);
}
