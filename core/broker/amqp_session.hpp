// One AMQP connection through rabbitmq-c, used by exactly one thread (rabbitmq-c allows
// a connection on one thread only): AmqpLink's. Channel 1 publishes in confirm mode and
// declares; channel 2 consumes with manual acks. The session is ready when constructed
// (topology declared and verified) and broken for good after any error: the link then
// makes a new one.
#pragma once

#include <amqp.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "broker/broker_address.hpp"
#include "broker/broker_message.hpp"
#include "broker/topology.hpp"

namespace flowgate::broker {

// Something the broker sent that the link acts on.
struct SessionEvent {
    enum class Kind { ack, nack, returned, delivery, blocked, unblocked };
    Kind kind = Kind::ack;
    std::uint64_t tag = 0;  // ack/nack: the publish sequence number
    bool multiple = false;  // ack/nack: every sequence number up to `tag`
    std::string messageId;  // returned
    std::string reason;     // returned, blocked
    Delivery delivery;      // delivery
};

class AmqpSession {
public:
    // Connects, logs in, opens both channels, declares `topology` and verifies each queue
    // with a passive declare. Throws BrokerUnavailable with the reason.
    AmqpSession(const BrokerAddress& address, const Topology& topology, std::uint64_t id,
                std::chrono::seconds heartbeat, std::chrono::milliseconds connectTimeout,
                std::chrono::milliseconds rpcTimeout);
    ~AmqpSession();
    AmqpSession(const AmqpSession&) = delete;
    AmqpSession& operator=(const AmqpSession&) = delete;

    std::uint64_t id() const { return id_; }

    // Starts consuming `queue` with at most `prefetch` unacked deliveries.
    void consume(const std::string& queue, std::uint16_t prefetch);
    // Publishes persistent and mandatory; returns the confirm sequence number.
    std::uint64_t publish(const Publication& publication);
    void ack(std::uint64_t tag);
    void reject(std::uint64_t tag, bool requeue);

    // The socket, to poll for readability.
    int fd() const;
    // Frames already read into memory: poll() would not report them.
    bool hasBuffered() const;
    // The next event without blocking (heartbeats are answered inside); nullopt when
    // nothing is pending. Throws BrokerUnavailable once the connection failed.
    std::optional<SessionEvent> next();

private:
    void check(amqp_rpc_reply_t reply, const std::string& what);
    void declare(const Topology& topology);
    void verify(const Topology& topology);
    void fail(const std::string& what, int status);
    Delivery readDelivery(const amqp_basic_deliver_t& method, amqp_channel_t channel);

    amqp_connection_state_t connection_ = nullptr;
    std::uint64_t id_;
    std::uint64_t nextSequence_ = 1;
    std::map<std::string, std::string> queueOfConsumer_;  // consumer tag -> queue
};

}  // namespace flowgate::broker
