// A private RabbitMQ broker for tests: Debian's rabbitmq-server started on a loopback
// port of its own with its own data and log directories, so a test can kill it with -9
// and start it again from the same data (what a crashed broker does on restart).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>

namespace flowgate::test {

class RabbitMqServer {
public:
    // True when Debian's rabbitmq-server is installed (tests skip without it).
    static bool available();

    // Starts a node named after this process in `dir` (created; data, logs and the Erlang
    // cookie live there) and waits until it accepts AMQP connections. Throws with the
    // tail of the broker's log if it does not come up within 120 s.
    explicit RabbitMqServer(std::filesystem::path dir);
    ~RabbitMqServer();  // kill -9, so nothing is left running
    RabbitMqServer(const RabbitMqServer&) = delete;
    RabbitMqServer& operator=(const RabbitMqServer&) = delete;

    int port() const { return port_; }
    // amqp://guest:guest@127.0.0.1:<port>/ (the guest user may log in over loopback).
    std::string url() const;
    bool running() const { return pid_ > 0; }

    // SIGKILL to the broker's Erlang VM and waits until it is gone; the port refuses
    // connections from then on.
    void kill9();
    // SIGSTOP / SIGCONT to the broker: it keeps its connections but answers nothing.
    void pause();
    void resume();
    // Starts the same node again from its data directory and waits until it is ready.
    void start();

    // Runs `rabbitmqctl <args>` against this node; returns its stdout. Throws on failure.
    std::string ctl(const std::string& args) const;

private:
    void waitReady(std::chrono::seconds timeout);
    std::string logTail() const;

    std::filesystem::path dir_;
    std::string nodeName_;
    int port_ = 0;
    int distPort_ = 0;
    pid_t pid_ = -1;
};

}  // namespace flowgate::test
