// The intake's side of the worker link: serves the queue to the worker processes over a
// local socket, keeps the WorkerLedger of what each holds, and counts step outcomes.
//
// Why the intake owns the queue and workers borrow it over a socket, rather than every
// process opening the SQLite file: one writer thread keeps group commit (one fsync for
// the webhooks and the workers' settles of that moment), the queue's in-memory counters
// stay exact, and a worker that dies mid-transaction cannot leave a lock behind.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <Poco/Logger.h>

#include "ipc/frame_socket.hpp"
#include "ipc/queue_wire.hpp"
#include "ipc/worker_ledger.hpp"
#include "queue/queue.hpp"
#include "reply/reply_channel.hpp"
#include "runtime/runtime_metrics.hpp"

namespace flowgate::ipc {

class QueueService {
public:
    // Listens on `socketPath` at once (throws std::runtime_error). Everything passed must
    // outlive the service. `lease` is the lease of every take. `linkNice`: how many steps
    // nicer than the caller each worker's link thread runs; it works for a worker, so it
    // should give way to the webhook path as much as the worker does.
    QueueService(const std::filesystem::path& socketPath, queue::Queue& queue, WorkerLedger& ledger,
                 reply::ReplyChannel& replies, runtime::RuntimeMetrics& metrics,
                 std::chrono::milliseconds lease, int linkNice = 0);
    // Closes the socket and every connection, and waits for their threads.
    ~QueueService();

    QueueService(const QueueService&) = delete;
    QueueService& operator=(const QueueService&) = delete;

    // Settles outcomes on behalf of a worker that is gone, counting them like its own.
    void settleForWorker(std::vector<queue::Outcome> outcomes,
                         const std::vector<runtime::StepRun>& runs);

private:
    struct Connection {
        std::unique_ptr<FrameSocket> socket;
        std::thread thread;
        std::atomic<bool> done{false};  // serve() returned: the accept loop joins it
    };

    void acceptLoop();
    void serve(FrameSocket& socket);
    // Applies `request` from worker `pid`; returns the answer to send, if it has one.
    std::optional<std::string> handle(pid_t pid, wire::Request& request);

    std::filesystem::path path_;
    queue::Queue& queue_;
    WorkerLedger& ledger_;
    reply::ReplyChannel& replies_;
    runtime::RuntimeMetrics& metrics_;
    std::chrono::milliseconds lease_;
    int linkNice_;
    Poco::Logger& logger_;
    int listener_ = -1;
    std::atomic<bool> stopping_{false};
    std::mutex connectionsMutex_;
    std::list<Connection> connections_;
    std::thread acceptor_;
};

}  // namespace flowgate::ipc
