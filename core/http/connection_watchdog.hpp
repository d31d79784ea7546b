// A deadline for every request, so slow clients cannot pin the server's threads.
//
// Poco serves a connection on one pool thread and only has a per-read socket timeout: a
// client that sends one byte just before each timeout (slowloris) would hold its thread
// forever. The watchdog gives each connection a deadline for receiving a whole request
// (headers and body) and shuts the socket down when it passes; the blocked read then
// fails and the thread is free. The deadline pauses while a handler waits on the engine
// (a sync flow's reply has its own timeout) and restarts for each keep-alive request.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <mutex>
#include <thread>

#include <Poco/Net/StreamSocket.h>

namespace flowgate::http {

class ConnectionWatchdog {
public:
    explicit ConnectionWatchdog(std::chrono::milliseconds requestTimeout);
    ~ConnectionWatchdog();

    struct Entry {
        Poco::Net::StreamSocket socket;
        std::atomic<std::int64_t> deadlineMs;  // steady-clock ms; 0 while paused
    };

    // Watches `socket` while the returned guard lives. Sets the calling thread's current
    // connection (see pause/restart below).
    class Guard {
    public:
        Guard(ConnectionWatchdog& watchdog, const Poco::Net::StreamSocket& socket);
        ~Guard();
        Guard(const Guard&) = delete;
        Guard& operator=(const Guard&) = delete;

    private:
        ConnectionWatchdog& watchdog_;
        std::list<Entry>::iterator entry_;
    };

    // For handlers, on the connection's thread: stop the clock once the request is read
    // (the handler now waits on the engine, not on the client), and start a fresh
    // deadline once the response is sent. No-ops on a thread without a watched connection.
    static void pauseCurrent();
    static void restartCurrent();

    // For a graceful stop: shuts down the connections that are receiving or idle
    // (`includeBusy` false), or all of them. Returns how many handlers were still busy.
    std::size_t abort(bool includeBusy);

private:
    void run();
    static std::int64_t nowMs();

    const std::chrono::milliseconds requestTimeout_;
    std::mutex mutex_;
    std::condition_variable stop_;
    bool stopping_ = false;
    std::list<Entry> entries_;
    std::thread thread_;
};

}  // namespace flowgate::http
