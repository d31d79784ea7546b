// The whole-exchange deadline. Poco's socket timeouts bound each read, and Poco reads
// response headers a byte at a time, so a server that drips bytes just inside the
// timeout could hold a worker for days. A deadline shuts the socket down at its time,
// which ends whatever read or write is blocked on it; the exchange then fails as a
// timeout.
#pragma once

#include <atomic>
#include <chrono>

#include <Poco/Net/Socket.h>

namespace flowgate::net {

class ExchangeDeadline {
public:
    // Watches `socket` until this object is destroyed; `socket` must outlive it.
    ExchangeDeadline(Poco::Net::Socket& socket, std::chrono::steady_clock::time_point at);
    ~ExchangeDeadline();
    ExchangeDeadline(const ExchangeDeadline&) = delete;
    ExchangeDeadline& operator=(const ExchangeDeadline&) = delete;

    // Whether the deadline came and the socket was shut down.
    bool passed() const { return passed_.load(); }

private:
    friend class DeadlineWatcher;
    Poco::Net::Socket& socket_;
    const std::chrono::steady_clock::time_point at_;
    std::atomic<bool> passed_{false};
};

}  // namespace flowgate::net
