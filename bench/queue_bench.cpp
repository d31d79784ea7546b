// Throughput of SqliteQueue with group commit, on a real file with synchronous=FULL, and
// the pages each operation costs on disk.
//
//   queue_bench [--mode cycle|enqueue] [--threads N] [--seconds S] [--bytes B]
//               [--workers W] [--inflight F] [--ids caller|ordered] [--chain]
//               [--dir PATH]
//
// cycle (default): the whole flow webhook -> jq -> logger as the queue sees it. N threads
// each enqueue one execution (one item of B bytes) at a time, with at most F executions
// stored at once (a closed loop, so the queue reaches a steady state instead of a growing
// backlog); W workers take up to 32 items, settle a first-step item as completed with one
// next item, and a second-step item as completed. Runs S seconds and reports executions/s
// and, per execution, WAL frames written, database pages written (checkpoint copies) and
// fsyncs, counted below SQLite by a VFS shim.
//
// enqueue: N threads enqueue one item of B bytes per call for S seconds (the durable 202),
// then W workers take up to 64 items and settle them as completed until the queue is
// empty. Reports calls/s, ops per commit, latency percentiles, pages per item.
//
// --chain: cycle's workers run both steps in one attempt, as the engine's worker chains a
// flow's steps: one item per execution, settled completed with the second step recorded as
// a chained run (no second item, no message copy).
//
// --ids: cycle's execution ids, `<caller>-<n>` (default; they land all over the indexes
// on them) or `ordered`, one increasing fixed-width number, as the engine's time-ordered
// UUIDv7 request ids land at the right end of an index.
//
// The directory is removed after.
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "queue/sqlite_queue.hpp"
#include "support/sqlite_io_counter.hpp"

using namespace std::chrono_literals;
using flowgate::queue::NewWorkItem;
using flowgate::queue::Outcome;
using flowgate::queue::SqliteQueue;
using flowgate::queue::SqliteQueueOptions;
using flowgate::test::SqliteIoCounter;
using flowgate::test::SqliteIoCounts;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
    std::string mode = "cycle";
    int threads = 64;
    double seconds = 5;
    std::size_t bytes = 1024;
    int workers = 2;
    int inflight = 2048;
    bool orderedIds = false;
    bool chain = false;
    std::filesystem::path dir;
};

Args parse(int argc, char** argv) {
    Args args;
    args.dir = std::filesystem::temp_directory_path() /
               ("flowgate-queue-bench-" + std::to_string(::getpid()));
    for (int i = 1; i < argc; i += 2) {
        const std::string key = argv[i];
        if (key == "--chain") {
            args.chain = true;
            --i;  // a flag: no value
            continue;
        }
        if (i + 1 >= argc) {
            std::fprintf(stderr, "option %s needs a value\n", key.c_str());
            std::exit(2);
        }
        const char* value = argv[i + 1];
        if (key == "--mode") {
            args.mode = value;
        } else if (key == "--threads") {
            args.threads = std::atoi(value);
        } else if (key == "--seconds") {
            args.seconds = std::atof(value);
        } else if (key == "--bytes") {
            args.bytes = static_cast<std::size_t>(std::atol(value));
        } else if (key == "--workers") {
            args.workers = std::atoi(value);
        } else if (key == "--inflight") {
            args.inflight = std::atoi(value);
        } else if (key == "--ids") {
            args.orderedIds = std::string(value) == "ordered";
        } else if (key == "--dir") {
            args.dir = value;
        } else {
            std::fprintf(stderr, "unknown option %s\n", key.c_str());
            std::exit(2);
        }
    }
    if (args.mode != "cycle" && args.mode != "enqueue") {
        std::fprintf(stderr, "unknown mode %s\n", args.mode.c_str());
        std::exit(2);
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

void printIo(const char* per, double count, const SqliteIoCounts& io) {
    const double n = std::max(count, 1.0);
    std::printf(
        "  per %s: %.2f WAL frames, %.2f checkpointed pages, %.3f WAL fsyncs, "
        "%.3f database fsyncs, %.0f bytes to temporary files\n",
        per, static_cast<double>(io.walFrames) / n, static_cast<double>(io.databasePages) / n,
        static_cast<double>(io.walSyncs) / n, static_cast<double>(io.databaseSyncs) / n,
        static_cast<double>(io.temporaryBytes) / n);
}

// CPU seconds used so far by this process's threads named `name` (the queue names its
// writer and checkpointer threads), from /proc.
double threadCpuSeconds(const std::string& name) {
    double total = 0;
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
        std::ifstream commFile(task.path() / "comm");
        std::string comm;
        std::getline(commFile, comm);
        if (comm != name) continue;
        std::ifstream statFile(task.path() / "stat");
        std::string stat((std::istreambuf_iterator<char>(statFile)), {});
        // Fields after the parenthesised name: state is field 3, utime 14, stime 15.
        std::istringstream fields(stat.substr(stat.rfind(')') + 2));
        std::string field;
        double ticks = 0;
        for (int i = 3; i <= 15 && fields >> field; ++i) {
            if (i >= 14) ticks += std::stod(field);
        }
        total += ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
    }
    return total;
}

// Which tables and indexes the WAL frames went to: each frame's page looked up in the
// database's dbstat as it is now. Pages of no table or index are the pointer map's
// (auto_vacuum keeps one entry per page: its parent) or, if neither, free now (freelist
// pages, and pages freed since they were written) or past the file's end (vacuumed).
void printFramesByTable(const std::filesystem::path& file, const SqliteIoCounter& io, double per) {
    std::map<std::uint32_t, std::string> owner;
    std::int64_t pageCount = 0;
    std::int64_t pagesPerPtrmap = 0;  // 0: no pointer map (auto_vacuum off)
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
        const auto queryInt = [db](const char* sql) {
            sqlite3_stmt* stmt = nullptr;
            std::int64_t value = 0;
            if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK &&
                sqlite3_step(stmt) == SQLITE_ROW) {
                value = sqlite3_column_int64(stmt, 0);
            }
            sqlite3_finalize(stmt);
            return value;
        };
        pageCount = queryInt("PRAGMA page_count");
        // SQLite's ptrmapPageno(): page 2, then every usable/5 + 1 pages.
        if (queryInt("PRAGMA auto_vacuum") != 0) {
            pagesPerPtrmap = queryInt("PRAGMA page_size") / 5 + 1;
        }
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(db, "SELECT pageno, name FROM dbstat", -1, &stmt, nullptr) ==
            SQLITE_OK) {
            while (sqlite3_step(stmt) == SQLITE_ROW) {
                owner[static_cast<std::uint32_t>(sqlite3_column_int64(stmt, 0))] =
                    reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1));
            }
        }
        sqlite3_finalize(stmt);
    }
    sqlite3_close(db);
    const auto ownerOf = [&](std::uint32_t page) -> std::string {
        if (const auto it = owner.find(page); it != owner.end()) return it->second;
        if (pagesPerPtrmap > 0 && page >= 2 && (page - 2) % pagesPerPtrmap == 0) return "(ptrmap)";
        return page <= pageCount ? "(free)" : "(past end)";
    };
    std::map<std::string, std::int64_t> byTable;
    for (const auto& [page, frames] : io.walFramesByPage()) byTable[ownerOf(page)] += frames;
    std::vector<std::pair<std::int64_t, std::string>> sorted;
    for (const auto& [name, frames] : byTable) sorted.emplace_back(frames, name);
    std::sort(sorted.rbegin(), sorted.rend());
    std::printf("  WAL frames per execution by table or index:");
    for (const auto& [frames, name] : sorted) {
        std::printf(" %s %.2f,", name.c_str(), static_cast<double>(frames) / std::max(per, 1.0));
    }
    std::printf("\n");
}

// At most `limit` executions stored at once: a producer waits for a slot.
class Slots {
public:
    explicit Slots(int limit) : free_(limit) {}
    bool acquire(const std::atomic<bool>& stop) {
        std::unique_lock lock(mutex_);
        while (free_ == 0 && !stop) changed_.wait_for(lock, 10ms);
        if (stop) return false;
        --free_;
        return true;
    }
    void release(int n) {
        {
            std::lock_guard lock(mutex_);
            free_ += n;
        }
        changed_.notify_all();
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    int free_;
};

void runCycle(const Args& args, SqliteQueue& queue, const SqliteIoCounter& io) {
    const std::string body(args.bytes, 'b');
    std::atomic<bool> stop{false};
    std::atomic<long> finished{0};
    std::atomic<long> nextId{1'000'000'000'000};  // --ids ordered: same width for years
    Slots slots(args.inflight);
    std::vector<std::thread> threads;
    const auto ioBefore = io.counts();
    const auto statsBefore = queue.stats();
    const double writerBefore = threadCpuSeconds("fg-queue-writer");
    const double checkpointerBefore = threadCpuSeconds("fg-queue-ckpt");
    const auto start = Clock::now();
    for (int t = 0; t < args.threads; ++t) {
        threads.emplace_back([&, t] {
            for (long i = 0; slots.acquire(stop); ++i) {
                const std::string id = args.orderedIds
                                           ? std::to_string(nextId++)
                                           : std::to_string(t) + "-" + std::to_string(i);
                queue.enqueue({NewWorkItem{"bench-flow", id, "jq", body}});
            }
        });
    }
    for (int w = 0; w < args.workers; ++w) {
        threads.emplace_back([&] {
            while (!stop) {
                auto items = queue.take(32, 30s, 50ms);
                std::vector<Outcome> outcomes;
                outcomes.reserve(items.size());
                int done = 0;
                for (auto& item : items) {
                    Outcome& o = outcomes.emplace_back();
                    o.itemId = item.id;
                    o.leaseToken = item.leaseToken;
                    if (args.chain) {
                        o.chained.push_back({"logger", true, {}, 0, 10});
                        ++done;
                    } else if (item.stepId == "jq") {
                        o.next.push_back(NewWorkItem{item.flowId, item.executionId, "logger",
                                                     std::move(item.message)});
                    } else {
                        ++done;
                    }
                }
                if (!outcomes.empty()) queue.settle(std::move(outcomes));
                finished += done;
                slots.release(done);
            }
        });
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(args.seconds));
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    const auto ioUsed = io.counts() - ioBefore;
    const auto statsAfter = queue.stats();
    const long executions = finished.load();
    const double writerCpu = threadCpuSeconds("fg-queue-writer") - writerBefore;
    const double checkpointerCpu = threadCpuSeconds("fg-queue-ckpt") - checkpointerBefore;
    stop = true;
    for (auto& thread : threads) thread.join();
    const auto commits = statsAfter.commits - statsBefore.commits;
    std::printf(
        "cycle: %d producers, %d workers, take(32), %zu-byte messages, %d in flight, "
        "%s ids,%s %.1f s\n",
        args.threads, args.workers, args.bytes, args.inflight,
        args.orderedIds ? "ordered" : "caller", args.chain ? " chained steps," : "", elapsed);
    std::printf("  %ld executions, %.0f executions/s, %lld commits, %.1f ops/commit\n", executions,
                static_cast<double>(executions) / elapsed, static_cast<long long>(commits),
                static_cast<double>(statsAfter.committedOps - statsBefore.committedOps) /
                    static_cast<double>(std::max<std::int64_t>(commits, 1)));
    printIo("execution", static_cast<double>(executions), ioUsed);
    const double perExecution = 1e6 / std::max(static_cast<double>(executions), 1.0);
    std::printf("  CPU us per execution: writer thread %.1f, checkpointer thread %.1f\n",
                writerCpu * perExecution, checkpointerCpu * perExecution);
    printFramesByTable(args.dir / "queue.db", io, static_cast<double>(executions));
    std::printf("  WAL resets %lld, WAL now %lld bytes\n",
                static_cast<long long>(statsAfter.checkpoints - statsBefore.checkpoints),
                static_cast<long long>(statsAfter.walBytes));
}

void runEnqueueThenDrain(const Args& args, SqliteQueue& queue, const SqliteIoCounter& io) {
    const std::string body(args.bytes, 'b');
    std::atomic<bool> stop{false};
    std::vector<std::vector<double>> latencies(static_cast<std::size_t>(args.threads));
    std::vector<std::thread> threads;
    auto ioBefore = io.counts();
    const auto start = Clock::now();
    for (int t = 0; t < args.threads; ++t) {
        threads.emplace_back([&, t] {
            auto& mine = latencies[static_cast<std::size_t>(t)];
            for (long i = 0; !stop; ++i) {
                const auto before = Clock::now();
                queue.enqueue({NewWorkItem{
                    "bench-flow", std::to_string(t) + "-" + std::to_string(i), "step-1", body}});
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
    std::printf("enqueue: %d threads, %zu-byte items, %.1f s\n", args.threads, args.bytes, elapsed);
    std::printf("  %zu calls, %.0f calls/s, %lld commits, %.1f ops/commit\n", all.size(),
                static_cast<double>(all.size()) / elapsed, static_cast<long long>(stats.commits),
                static_cast<double>(stats.committedOps) /
                    static_cast<double>(std::max<std::int64_t>(stats.commits, 1)));
    std::printf("  latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n", percentile(all, 0.50),
                percentile(all, 0.90), percentile(all, 0.99), all.empty() ? 0.0 : all.back());
    printIo("item", static_cast<double>(all.size()), io.counts() - ioBefore);

    // Phase 2: drain with take + settle(completed).
    ioBefore = io.counts();
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
    const double drainSeconds = std::chrono::duration<double>(Clock::now() - drainStart).count();
    const auto after = queue.stats();
    std::printf("drain: %d workers, take(64) + settle(completed)\n", args.workers);
    std::printf("  %ld items in %.2f s, %.0f items/s, %lld commits, %lld left\n", drained.load(),
                drainSeconds, static_cast<double>(drained.load()) / drainSeconds,
                static_cast<long long>(after.commits - commitsBefore),
                static_cast<long long>(after.ready + after.leased));
    printIo("item", static_cast<double>(drained.load()), io.counts() - ioBefore);
}

}  // namespace

int main(int argc, char** argv) {
    const Args args = parse(argc, argv);
    std::filesystem::remove_all(args.dir);
    {
        const SqliteIoCounter io;  // before the queue opens its connections
        SqliteQueueOptions options;
        options.dataDir = args.dir;
        options.maxReady = 10'000'000;
        SqliteQueue queue(options);
        if (args.mode == "cycle") {
            runCycle(args, queue, io);
        } else {
            runEnqueueThenDrain(args, queue, io);
        }
    }
    std::filesystem::remove_all(args.dir);
    return 0;
}
