#include "metrics/process_metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace flowgate::metrics {

namespace {

namespace fs = std::filesystem;

// Seconds since boot at which the system booted, as Unix time: /proc/stat's btime.
double bootTime() {
    std::ifstream stat("/proc/stat");
    std::string key;
    double value = 0;
    while (stat >> key) {
        if (key == "btime" && stat >> value) return value;
        stat.ignore(1 << 16, '\n');
    }
    return 0;
}

prometheus::MetricFamily family(const char* name, const char* help, prometheus::MetricType type,
                                double value) {
    prometheus::ClientMetric metric;
    if (type == prometheus::MetricType::Counter)
        metric.counter.value = value;
    else
        metric.gauge.value = value;
    return {name, help, type, {metric}};
}

}  // namespace

std::optional<ProcessFigures> readProcess(pid_t pid) {
    const fs::path dir = fs::path("/proc") / std::to_string(pid);
    std::ifstream statFile(dir / "stat");
    std::string stat;
    if (!std::getline(statFile, stat)) return std::nullopt;
    // The command name (field 2) may hold spaces and parentheses: fields start after the
    // last ')'. Then state is field 3; utime and stime are 14 and 15, starttime 22.
    const auto close = stat.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    double utime = 0, stime = 0, starttime = 0;
    for (int index = 3; fields >> field; ++index) {
        if (index == 14) utime = std::stod(field);
        if (index == 15) stime = std::stod(field);
        if (index == 22) {
            starttime = std::stod(field);
            break;
        }
    }
    const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    ProcessFigures figures;
    figures.cpuSeconds = (utime + stime) / ticks;
    figures.startTimeSeconds = bootTime() + starttime / ticks;

    std::ifstream statm(dir / "statm");
    double sizePages = 0, residentPages = 0;
    if (statm >> sizePages >> residentPages)
        figures.residentBytes = residentPages * static_cast<double>(::sysconf(_SC_PAGESIZE));

    std::error_code ec;
    for (auto it = fs::directory_iterator(dir / "fd", ec); !ec && it != fs::directory_iterator();
         it.increment(ec))
        ++figures.openFds;
    if (pid == ::getpid()) {
        rlimit limit{};
        if (::getrlimit(RLIMIT_NOFILE, &limit) == 0)
            figures.maxFds = static_cast<double>(limit.rlim_cur);
    }
    return figures;
}

std::vector<prometheus::MetricFamily> processFamilies(const std::vector<pid_t>& workers) {
    using prometheus::MetricType;
    std::vector<prometheus::MetricFamily> families;
    if (const auto self = readProcess(::getpid())) {
        families.push_back(family("process_cpu_seconds_total",
                                  "CPU time of the intake process (user + system)",
                                  MetricType::Counter, self->cpuSeconds));
        families.push_back(family("process_resident_memory_bytes",
                                  "Resident memory of the intake process", MetricType::Gauge,
                                  self->residentBytes));
        families.push_back(family("process_open_fds", "Open descriptors of the intake process",
                                  MetricType::Gauge, self->openFds));
        families.push_back(family("process_max_fds", "Descriptor limit of the intake process",
                                  MetricType::Gauge, self->maxFds));
        families.push_back(family("process_start_time_seconds",
                                  "Start time of the intake process (Unix time)",
                                  MetricType::Gauge, self->startTimeSeconds));
    }
    ProcessFigures total;
    double alive = 0;
    for (pid_t pid : workers) {
        const auto figures = readProcess(pid);
        if (!figures) continue;
        ++alive;
        total.cpuSeconds += figures->cpuSeconds;
        total.residentBytes += figures->residentBytes;
        total.openFds += figures->openFds;
    }
    families.push_back(family("flowgate_workers", "Worker processes alive", MetricType::Gauge,
                              alive));
    // Gauges, not counters: a restarted worker starts again from zero.
    families.push_back(family("flowgate_workers_cpu_seconds",
                              "CPU time of the worker processes alive now", MetricType::Gauge,
                              total.cpuSeconds));
    families.push_back(family("flowgate_workers_resident_memory_bytes",
                              "Resident memory of the worker processes alive now",
                              MetricType::Gauge, total.residentBytes));
    families.push_back(family("flowgate_workers_open_fds",
                              "Open descriptors of the worker processes alive now",
                              MetricType::Gauge, total.openFds));
    return families;
}

}  // namespace flowgate::metrics
