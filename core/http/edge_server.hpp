// The HTTP/1.1 front end: one event-loop thread over epoll and a bounded pool of handler
// threads.
//
// The loop accepts (on a Poco::Net::ServerSocket), reads and frames requests with
// RequestParser, and enforces the limits: connections in total and per client address,
// a header deadline and a whole-request deadline (from the first byte until a handler
// takes the request), a keep-alive idle timeout. An idle or slow connection costs its
// parser and a few buffers, never a thread. Only a complete request goes to a handler
// thread; an incomplete one (EOF or deadline first) is dropped unanswered. A connection
// has at most one request with a handler at a time, so pipelined requests are answered
// in order. The handler thread writes its answer itself and gives the connection back to
// epoll; the loop takes over only what is left (a slow reader, pipelined bytes, a close).
// A request the owner's LoopPolicy picks (one that cannot block and is small) is handled
// on the loop thread itself instead, the same way, without the handoff.
//
// With http.tls set, every connection speaks TLS through the same loop: the handshake is
// read and written like request bytes (http/transport.hpp), so its time counts against the
// first request's header deadline and a stalled handshake is closed like a slowloris.
//
// Why our own loop and not Poco's SocketReactor: Poco 1.11's reactor dispatches every
// event through a NotificationCenter (allocations and a lock per event) and has no
// one-shot mode, which is what lets a handler thread own a connection without locks.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <Poco/Net/ServerSocket.h>

#include "config/engine_config.hpp"
#include "http/http_message.hpp"
#include "http/request_parser.hpp"
#include "http/tls_context.hpp"

namespace flowgate::http {

struct EdgeSettings {
    std::string host = "127.0.0.1";
    int port = 0;
    int handlerThreads = 64;
    std::size_t maxQueuedRequests = 1024;  // complete requests waiting for a handler; 503 beyond
    std::size_t maxConnections = 10000;
    std::size_t maxConnectionsPerAddress = 1024;
    std::chrono::milliseconds headerTimeout{10000};
    std::chrono::milliseconds requestTimeout{15000};
    std::chrono::milliseconds keepAliveTimeout{5000};
    ParseLimits limits;
    bool accessLog = true;  // a line per answered request (http/access_log.hpp)
    config::TlsSettings tls;  // enabled: HTTPS only on this port
};

// Counters the edge keeps, read by /metrics.
struct EdgeMetrics {
    std::atomic<std::uint64_t> malformed{0};           // refused by framing or limits (4xx/505)
    std::atomic<std::uint64_t> incomplete{0};          // closed mid-request: EOF or deadline
    std::atomic<std::uint64_t> refusedConnections{0};  // over a connection cap
    std::atomic<std::uint64_t> overloaded{0};          // 503: handler queue full or deadline
    std::atomic<std::uint64_t> handlerErrors{0};       // exceptions from handlers: 500
    std::atomic<std::size_t> connections{0};           // open now
};

class EdgeServer {
public:
    // Called on a handler thread, many at once (or on the loop thread, see LoopPolicy),
    // with a complete request; fills in the response. An exception becomes a logged 500
    // with the request id.
    using Handler = std::function<void(const Request&, Response&)>;
    // Whether `handler` may run a request on the loop thread itself. A handoff to a handler
    // thread costs a wake-up and two context switches, often more than a small request's
    // handling; but while the loop runs a handler no other connection is read, so only a
    // request whose handling cannot block and is bounded (a small body) may stay. Called on
    // the loop thread: cheap, never blocking. Empty: every request goes to a handler thread.
    using LoopPolicy = std::function<bool(const Request&)>;

    // Loads the TLS certificate if there is one (throws TlsError), binds at once (a taken
    // port fails here); serves after start().
    EdgeServer(EdgeSettings settings, Handler handler, EdgeMetrics& metrics,
               LoopPolicy onLoop = {});
    ~EdgeServer();
    EdgeServer(const EdgeServer&) = delete;
    EdgeServer& operator=(const EdgeServer&) = delete;

    void start();
    // Stops accepting, closes idle connections, answers the requests already taken (up
    // to a grace period), then joins every thread. Idempotent.
    void stop();

    int port() const;
    bool secure() const { return tls_ != nullptr; }
    // Loads the TLS certificate and key again for new connections (SIGHUP); files that do
    // not load leave the current ones in place. Logs either way. Any thread.
    void reloadCertificate();

    struct Connection;

private:
    struct Job {
        Connection* connection;
        Request request;
        std::chrono::steady_clock::time_point deadline;
        std::chrono::steady_clock::time_point started;  // the request's first byte
    };

    void loop();
    void accept();
    void onReadable(Connection& c);
    void onWritable(Connection& c);
    void advance(Connection& c, const char* data, std::size_t size);
    void dispatch(Connection& c);
    bool runsOnLoop(const Request& request);
    void refuse(Connection& c, int status, const std::string& code, const std::string& message);
    void handBack(Connection& c);
    void afterWrite(Connection& c);
    bool flush(Connection& c);
    void arm(Connection& c, bool writable);
    void lingerClose(Connection& c);
    void close(Connection& c);
    void expire(std::chrono::steady_clock::time_point now);
    void handlerThread();
    void serve(Job& job);
    void wake();

    const EdgeSettings settings_;
    const Handler handler_;
    const LoopPolicy onLoop_;
    EdgeMetrics& metrics_;
    const std::unique_ptr<TlsContext> tls_;  // null: plain HTTP
    Poco::Net::ServerSocket listener_;
    int epoll_ = -1;
    int wakeFd_ = -1;
    bool accepting_ = true;
    std::chrono::steady_clock::time_point acceptPausedUntil_{};

    // Owned by the loop thread.
    std::unordered_map<int, std::unique_ptr<Connection>> connections_;
    std::unordered_map<std::string, std::size_t> perAddress_;

    // Connections a handler thread, or a deferred answer (Response::defer), gives back to
    // the loop. Shared with the senders of deferred answers, which may outlive the server.
    struct Returns;
    class Sender;
    class JobDeferral;
    std::shared_ptr<Returns> returns_;

    std::mutex jobsMutex_;
    std::condition_variable jobsReady_;
    std::deque<Job> jobs_;
    bool jobsClosed_ = false;
    std::size_t busyHandlers_ = 0;

    std::atomic<bool> stopping_{false};
    bool started_ = false;
    bool stopped_ = false;
    std::thread loopThread_;
    std::vector<std::thread> handlers_;
};

}  // namespace flowgate::http
