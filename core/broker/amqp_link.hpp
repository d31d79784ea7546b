// The process's link to the broker: one thread owns the AMQP connection (rabbitmq-c
// allows a connection on one thread only, so other threads hand it operations, as
// SqliteQueue's callers hand theirs to its writer thread). It declares and verifies the
// topology on every connection, publishes with publisher confirms, consumes with manual
// acks and a prefetch, and reconnects with exponential backoff when the connection breaks.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "broker/broker_address.hpp"
#include "broker/broker_message.hpp"
#include "broker/topology.hpp"

namespace flowgate::broker {

struct LinkOptions {
    // A publish the broker has not confirmed by then fails (the caller answers 503).
    std::chrono::milliseconds confirmTimeout{5000};
    std::chrono::milliseconds connectTimeout{2000};
    // The handshake and each declare; declaring a quorum queue starts a Raft group, which
    // takes seconds on a busy machine.
    std::chrono::milliseconds rpcTimeout{30000};
    std::chrono::seconds heartbeat{10};
    std::chrono::milliseconds reconnectInitial{100};
    std::chrono::milliseconds reconnectMax{5000};
};

// Thread-safe. Callbacks run on the link's thread: keep them short, never call back into
// the link's blocking methods from them.
class AmqpLink {
public:
    // Called with nullptr once every message of a publish() is confirmed, or with a
    // BrokerUnavailable (nack, return, timeout, connection lost, not connected).
    using Confirmation = std::function<void(std::exception_ptr)>;
    using DeliveryHandler = std::function<void(Delivery)>;
    // Told about connection changes (connected, lost with the reason), for the log.
    using StatusHandler = std::function<void(bool connected, const std::string& detail)>;

    AmqpLink(BrokerAddress address, Topology topology, LinkOptions options,
             StatusHandler onStatus = {});
    // Stops the thread and drops the connection; unconfirmed publishes fail, unacked
    // deliveries go back to their queues (the broker requeues them).
    ~AmqpLink();
    AmqpLink(const AmqpLink&) = delete;
    AmqpLink& operator=(const AmqpLink&) = delete;

    // Publishes all `publications`; `done` is called exactly once. While the link is not
    // connected it fails at once: a publish is never kept back for a later connection.
    void publish(std::vector<Publication> publications, Confirmation done);
    // publish() that waits; throws BrokerUnavailable.
    void publishAndWait(std::vector<Publication> publications);

    // Consumes `queue` (declared in the topology) with at most `prefetch` unacked
    // deliveries, now and on every later connection; `handler` gets its deliveries.
    void consume(std::string queue, std::uint16_t prefetch, DeliveryHandler handler);

    // Settles a delivery. A ref from an older connection is ignored: its delivery is
    // back in its queue already and will come again.
    void ack(DeliveryRef ref);
    void reject(DeliveryRef ref, bool requeue);

    // True while connected with the topology verified and the consumers started.
    bool ready() const { return ready_.load(); }
    // Waits until ready() (true) or `timeout` passes (false).
    bool waitReady(std::chrono::milliseconds timeout);
    // Connections made so far (a reconnect makes the next one).
    std::uint64_t sessions() const { return sessions_.load(); }

private:
    struct Operation;
    class Worker;
    struct Consumer {
        std::string queue;
        std::uint16_t prefetch;
        DeliveryHandler handler;
    };

    void submit(Operation operation);
    void run();

    const BrokerAddress address_;
    const Topology topology_;
    const LinkOptions options_;
    const StatusHandler onStatus_;
    std::vector<Consumer> consumers_;  // only the link thread touches it

    std::mutex mutex_;
    std::condition_variable readyChanged_;
    std::vector<Operation> operations_;
    bool stopping_ = false;
    int wakeFd_ = -1;  // eventfd: wakes the thread's poll() for new operations or stop
    std::atomic<bool> ready_{false};
    std::atomic<std::uint64_t> sessions_{0};
    std::thread thread_;
};

}  // namespace flowgate::broker
