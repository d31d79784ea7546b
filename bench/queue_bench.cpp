// Throughput of SqliteQueue with group commit, on a real file with synchronous=FULL.
//
//   queue_bench [--threads N] [--seconds S] [--bytes B] [--workers W] [--dir PATH]
//
// Phase 1: N threads enqueue one item of B bytes per call for S seconds (the webhook
// path: one request, one durable enqueue). Reports calls/s, average batch (ops per commit)
// and latency percentiles. Phase 2: W workers take up to 64 items and settle them as
// completed until the queue is empty (the runtime path). The directory is removed after.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "queue/sqlite_queue.hpp"

using namespace std::chrono_literals;
using flowgate::queue::NewWorkItem;
using flowgate::queue::Outcome;
using flowgate::queue::SqliteQueue;
using flowgate::queue::SqliteQueueOptions;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
    int threads = 64;
    double seconds = 5;
    std::size_t bytes = 1024;
    int workers = 4;
    std::filesystem::path dir;
};

Args parse(int argc, char** argv) {
    Args args;
    args.dir = std::filesystem::temp_directory_path() /
               ("flowgate-queue-bench-" + std::to_string(::getpid()));
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string key = argv[i];
        const char* value = argv[i + 1];
        if (key == "--threads") {
            args.threads = std::atoi(value);
        } else if (key == "--seconds") {
            args.seconds = std::atof(value);
        } else if (key == "--bytes") {
            args.bytes = static_cast<std::size_t>(std::atol(value));
        } else if (key == "--workers") {
            args.workers = std::atoi(value);
        } else if (key == "--dir") {
            args.dir = value;
        } else {
            std::fprintf(stderr, "unknown option %s\n", key.c_str());
            std::exit(2);
        }
    }
    return args;
}

double percentile(std::vector<double>& sorted, double p) {
    if (sorted.empty()) {
        return 0;
    }
    const auto index = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1));
    return sorted[index];
}

}  // namespace

int main(int argc, char** argv) {
    const Args args = parse(argc, argv);
    std::filesystem::remove_all(args.dir);
    {
        SqliteQueueOptions options;
        options.dataDir = args.dir;
        options.maxReady = 10'000'000;
        SqliteQueue queue(options);

        const std::string body(args.bytes, 'b');
        std::atomic<bool> stop{false};
        std::vector<std::vector<double>> latencies(static_cast<std::size_t>(args.threads));
        std::vector<std::thread> threads;
        const auto start = Clock::now();
        for (int t = 0; t < args.threads; ++t) {
            threads.emplace_back([&, t] {
                auto& mine = latencies[static_cast<std::size_t>(t)];
                for (long i = 0; !stop; ++i) {
                    const auto before = Clock::now();
                    queue.enqueue({NewWorkItem{"bench-flow", std::to_string(t) + "-" +
                                               std::to_string(i), "step-1", body}});
                    mine.push_back(
                        std::chrono::duration<double, std::milli>(Clock::now() - before).count());
                }
            });
        }
        std::this_thread::sleep_for(std::chrono::duration<double>(args.seconds));
        stop = true;
        for (auto& thread : threads) {
            thread.join();
        }
        const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
        std::vector<double> all;
        for (auto& l : latencies) {
            all.insert(all.end(), l.begin(), l.end());
        }
        std::sort(all.begin(), all.end());
        const auto stats = queue.stats();
        std::printf("enqueue: %d threads, %zu-byte items, %.1f s\n", args.threads, args.bytes,
                    elapsed);
        std::printf("  %zu calls, %.0f calls/s, %lld commits, %.1f ops/commit\n", all.size(),
                    static_cast<double>(all.size()) / elapsed,
                    static_cast<long long>(stats.commits),
                    static_cast<double>(stats.committedOps) /
                        static_cast<double>(std::max<std::int64_t>(stats.commits, 1)));
        std::printf("  latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n",
                    percentile(all, 0.50), percentile(all, 0.90), percentile(all, 0.99),
                    all.empty() ? 0.0 : all.back());

        // Phase 2: drain with take + settle(completed).
        const auto commitsBefore = stats.commits;
        const auto drainStart = Clock::now();
        std::atomic<long> drained{0};
        std::vector<std::thread> workers;
        for (int w = 0; w < args.workers; ++w) {
            workers.emplace_back([&] {
                for (;;) {
                    auto items = queue.take(64, 30s, 0ms);
                    if (items.empty()) {
                        return;
                    }
                    std::vector<Outcome> outcomes;
                    outcomes.reserve(items.size());
                    for (const auto& item : items) {
                        Outcome o;
                        o.itemId = item.id;
                        o.leaseToken = item.leaseToken;
                        outcomes.push_back(std::move(o));
                    }
                    queue.settle(std::move(outcomes));
                    drained += static_cast<long>(items.size());
                }
            });
        }
        for (auto& worker : workers) {
            worker.join();
        }
        const double drainSeconds =
            std::chrono::duration<double>(Clock::now() - drainStart).count();
        const auto after = queue.stats();
        std::printf("drain: %d workers, take(64) + settle(completed)\n", args.workers);
        std::printf("  %ld items in %.2f s, %.0f items/s, %lld commits, %lld left\n",
                    drained.load(), drainSeconds,
                    static_cast<double>(drained.load()) / drainSeconds,
                    static_cast<long long>(after.commits - commitsBefore),
                    static_cast<long long>(after.ready + after.leased));
    }
    std::filesystem::remove_all(args.dir);
    return 0;
}
