// The edge's connection state, shared by its two halves: the loop (http/edge_server.cpp)
// and the handler threads with their deferred answers (http/edge_answers.cpp). Private to
// the http library.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <unistd.h>

#include <Poco/Net/IPAddress.h>
#include <Poco/Net/SocketAddress.h>

#include "flowgate/common/deferred_wakes.hpp"
#include "http/edge_server.hpp"
#include "http/transport.hpp"

namespace flowgate::http {

using Clock = std::chrono::steady_clock;

struct EdgeServer::Connection {
    Connection(int f, const ParseLimits& limits) : fd(f), parser(limits) {}

    enum class Phase { idle, receiving, handling, writing, draining };

    const int fd;
    std::unique_ptr<Transport> transport;
    std::string addressKey;  // for the per-address count
    Poco::Net::IPAddress client;
    Poco::Net::SocketAddress local;
    RequestParser parser;
    std::string pending;  // received after the request being handled (pipelined)
    std::string out;      // the answer, or what of it the socket has not taken yet
    std::size_t outPos = 0;
    Phase phase = Phase::idle;
    Clock::time_point deadline;         // of the current phase
    Clock::time_point headerDeadline;   // of the request being received
    Clock::time_point requestDeadline;  // ... including the wait for a handler
    Clock::time_point started;          // the first byte of the request being received
    bool keepAlive = true;
    bool closeAfterWrite = false;
    bool broken = false;  // a write failed: the peer is gone
    bool flushWantsRead = false;  // TLS: the unfinished write waits for readable
    // TLS: the first request's header deadline counts from the accept, so the handshake
    // spends from the same budget.
    bool firstRequest = true;
    Clock::time_point acceptedAt;
    // True while a handler thread owns the connection (it is not armed in epoll then).
    std::atomic<bool> busy{false};
};

struct EdgeServer::Returns : std::enable_shared_from_this<Returns> {
    std::mutex mutex;
    std::vector<Connection*> connections;  // answered, for the loop to write
    bool closed = false;  // the server is going away: late answers are dropped
    int wakeFd = -1;

    // Under `mutex`. One wake per batch of returns: the loop takes the whole list. A
    // thread answering many requests in a row (the queue writer after a commit) defers
    // the wake to the end of its run (common::DeferredWakes), so the loop wakes once for
    // all of them instead of once per answer it was quick enough to take alone.
    void push(Connection* c) {
        const bool first = connections.empty();
        connections.push_back(c);
        if (!first) return;
        const bool deferred = common::DeferredWakes::defer(this, [self = shared_from_this()] {
            std::lock_guard lock(self->mutex);
            if (!self->closed) self->wake();
        });
        if (!deferred) wake();
    }

private:
    void wake() {
        const std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(wakeFd, &one, sizeof one);
    }
};

inline double millisecondsSince(Clock::time_point start) {
    return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// The status line, framing fields and body of `response` into `out`.
void serialize(std::string& out, const Response& response, bool head, bool close,
               int versionMinor);

}  // namespace flowgate::http
