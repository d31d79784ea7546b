// The AMQP link against a real broker (a private rabbitmq-server on loopback).
#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "broker/amqp_link.hpp"
#include "broker/broker_error.hpp"
#include "distributed/shared_broker.hpp"

using namespace flowgate::broker;
using namespace std::chrono_literals;
using flowgate::test::sharedBroker;
using flowgate::test::uniqueName;

namespace {

// Deliveries as a consumer sees them, in order.
class Inbox {
public:
    void push(Delivery delivery) {
        std::lock_guard lock(mutex_);
        deliveries_.push_back(std::move(delivery));
        changed_.notify_all();
    }
    std::optional<Delivery> next(std::chrono::milliseconds timeout = 10s) {
        std::unique_lock lock(mutex_);
        if (!changed_.wait_for(lock, timeout, [this] { return !deliveries_.empty(); }))
            return std::nullopt;
        Delivery d = std::move(deliveries_.front());
        deliveries_.pop_front();
        return d;
    }
    AmqpLink::DeliveryHandler handler() {
        return [this](Delivery d) { push(std::move(d)); };
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<Delivery> deliveries_;
};

// The link's connection changes on stderr: what a failing test's output should show.
void logStatus(bool connected, const std::string& detail) {
    std::cerr << "[link] " << (connected ? "up: " : "down: ") << detail << "\n";
}

Topology oneQueue(const std::string& name) {
    Topology topology;
    QueueSpec queue;
    queue.name = name;
    queue.deliveryLimit = 20;
    topology.queues.push_back(queue);
    return topology;
}

Publication toQueue(const std::string& queue, const std::string& id, const std::string& body) {
    Publication p;
    p.routingKey = queue;
    p.message.messageId = id;
    p.message.body = body;
    return p;
}

bool becomesFalse(const std::function<bool()>& condition, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (condition()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

}  // namespace

TEST_CASE(
    "a confirmed message reaches the consumer with its id, headers, reply-to and correlation id, "
    "once") {
    auto& server = sharedBroker();
    const auto queue = uniqueName("link.roundtrip");
    Inbox inbox;
    {
        AmqpLink link(BrokerAddress::parse(server.url()), oneQueue(queue), {}, logStatus);
        link.consume(queue, 16, inbox.handler());
        REQUIRE(link.waitReady(10s));
        Publication p = toQueue(queue, "item-1", R"({"a":1})");
        p.message.replyTo = "flowgate.reply.x";
        p.message.correlationId = "exec-1";
        p.message.headers = {{"flowgate-step", "s1"}, {"flowgate-flow", "f"}};
        link.publishAndWait({p});

        auto delivery = inbox.next();
        REQUIRE(delivery);
        CHECK(delivery->queue == queue);
        CHECK(delivery->message.messageId == "item-1");
        CHECK(delivery->message.body == R"({"a":1})");
        CHECK(delivery->message.replyTo == "flowgate.reply.x");
        CHECK(delivery->message.correlationId == "exec-1");
        CHECK(delivery->message.header("flowgate-step") == "s1");
        CHECK(delivery->message.header("flowgate-flow") == "f");
        CHECK_FALSE(delivery->redelivered);
        CHECK(delivery->deliveryCount == 0);
        link.ack(delivery->ref);
        CHECK_FALSE(inbox.next(500ms));
    }
    // Acked: a new consumer gets nothing.
    Inbox again;
    AmqpLink link(BrokerAddress::parse(server.url()), oneQueue(queue), {}, logStatus);
    link.consume(queue, 16, again.handler());
    REQUIRE(link.waitReady(10s));
    CHECK_FALSE(again.next(1s));
}

TEST_CASE("the topology is a durable quorum queue with the delivery limit, verified before ready") {
    auto& server = sharedBroker();
    const auto queue = uniqueName("link.topology");
    AmqpLink link(BrokerAddress::parse(server.url()), oneQueue(queue), {}, logStatus);
    REQUIRE(link.waitReady(10s));
    const std::string listed = server.ctl("list_queues name type durable arguments");
    const auto line = listed.substr(listed.find(queue));
    CHECK(line.substr(0, line.find('\n')).find("quorum\ttrue") != std::string::npos);
    CHECK(line.substr(0, line.find('\n')).find("x-delivery-limit") != std::string::npos);
}

TEST_CASE("an unacked delivery comes again, counted, when its consumer's connection goes") {
    auto& server = sharedBroker();
    const auto queue = uniqueName("link.redeliver");
    {
        Inbox inbox;
        AmqpLink link(BrokerAddress::parse(server.url()), oneQueue(queue), {}, logStatus);
        link.consume(queue, 16, inbox.handler());
        REQUIRE(link.waitReady(10s));
        link.publishAndWait({toQueue(queue, "m1", "x")});
        REQUIRE(inbox.next());  // taken, never acked
    }
    Inbox inbox;
    AmqpLink link(BrokerAddress::parse(server.url()), oneQueue(queue), {}, logStatus);
    link.consume(queue, 16, inbox.handler());
    REQUIRE(link.waitReady(10s));
    auto delivery = inbox.next();
    REQUIRE(delivery);
    CHECK(delivery->message.messageId == "m1");
    CHECK(delivery->redelivered);
    CHECK(delivery->deliveryCount == 1);
    link.ack(delivery->ref);
}

TEST_CASE("the prefetch bounds the deliveries a consumer holds unacked") {
    auto& server = sharedBroker();
    const auto queue = uniqueName("link.prefetch");
    Inbox inbox;
    AmqpLink link(BrokerAddress::parse(server.url()), oneQueue(queue), {}, logStatus);
    link.consume(queue, 2, inbox.handler());
    REQUIRE(link.waitReady(10s));
    link.publishAndWait(
        {toQueue(queue, "a", "1"), toQueue(queue, "b", "2"), toQueue(queue, "c", "3")});
    auto first = inbox.next();
    auto second = inbox.next();
    REQUIRE(first);
    REQUIRE(second);
    CHECK_FALSE(inbox.next(700ms));  // the third waits for an ack
    link.ack(first->ref);
    auto third = inbox.next();
    REQUIRE(third);
    CHECK(third->message.messageId == "c");
    link.ack(second->ref);
    link.ack(third->ref);
}

TEST_CASE("a message no queue takes is returned and its publish fails") {
    auto& server = sharedBroker();
    AmqpLink link(BrokerAddress::parse(server.url()), {}, {}, logStatus);
    REQUIRE(link.waitReady(10s));
    try {
        link.publishAndWait({toQueue(uniqueName("link.nowhere"), "lost", "x")});
        FAIL("the publish succeeded");
    } catch (const BrokerUnavailable& e) {
        CHECK(std::string(e.what()).find("returned") != std::string::npos);
        CHECK(std::string(e.what()).find("NO_ROUTE") != std::string::npos);
    }
    // The link stays usable.
    const auto queue = uniqueName("link.after-return");
    AmqpLink second(BrokerAddress::parse(server.url()), oneQueue(queue), {}, logStatus);
    REQUIRE(second.waitReady(10s));
    second.publishAndWait({toQueue(queue, "ok", "x")});
}

TEST_CASE("a message through a delay tier comes back to its queue after the tier's TTL") {
    auto& server = sharedBroker();
    const auto queue = uniqueName("link.delayed");
    const auto delayExchange = uniqueName("link.delay");
    const auto tier = uniqueName("link.delay.300ms");
    Topology topology = oneQueue(queue);
    topology.exchanges.push_back({delayExchange, "headers"});
    QueueSpec tierQueue;
    tierQueue.name = tier;
    tierQueue.messageTtlMs = 300;
    tierQueue.deadLetterExchange = "";  // the default exchange: back to the routing key's queue
    tierQueue.atLeastOnceDeadLettering = true;
    topology.queues.push_back(tierQueue);
    topology.bindings.push_back({tier, delayExchange, "", {{"flowgate-delay", "300"}}});
    Inbox inbox;
    AmqpLink link(BrokerAddress::parse(server.url()), topology, {}, logStatus);
    link.consume(queue, 16, inbox.handler());
    REQUIRE(link.waitReady(10s));

    Publication p;
    p.exchange = delayExchange;
    p.routingKey = queue;  // kept when dead-lettered to the default exchange
    p.message.messageId = "later";
    p.message.body = "x";
    p.message.headers = {{"flowgate-delay", "300"}};
    const auto sent = std::chrono::steady_clock::now();
    link.publishAndWait({p});
    auto delivery = inbox.next();
    REQUIRE(delivery);
    CHECK(std::chrono::steady_clock::now() - sent >= 290ms);
    CHECK(delivery->message.messageId == "later");
    link.ack(delivery->ref);
}

TEST_CASE("a publish while the broker is not reachable fails at once") {
    LinkOptions options;
    options.reconnectMax = 200ms;
    // A port nothing listens on: the link never becomes ready.
    AmqpLink link(BrokerAddress::parse("amqp://guest:guest@127.0.0.1:1/"), {}, options, logStatus);
    CHECK_FALSE(link.waitReady(300ms));
    const auto start = std::chrono::steady_clock::now();
    CHECK_THROWS_AS(link.publishAndWait({toQueue("q", "x", "y")}), BrokerUnavailable);
    CHECK(std::chrono::steady_clock::now() - start < 100ms);
}

TEST_CASE("a broker that stops answering fails publishes after the confirm timeout") {
    auto& server = sharedBroker();
    const auto queue = uniqueName("link.paused");
    LinkOptions options;
    options.confirmTimeout = 500ms;
    AmqpLink link(BrokerAddress::parse(server.url()), oneQueue(queue), options, logStatus);
    REQUIRE(link.waitReady(10s));
    server.pause();
    const auto start = std::chrono::steady_clock::now();
    CHECK_THROWS_AS(link.publishAndWait({toQueue(queue, "p", "x")}), BrokerUnavailable);
    const auto waited = std::chrono::steady_clock::now() - start;
    server.resume();
    CHECK(waited >= 450ms);
    CHECK(waited < 3s);
}

TEST_CASE(
    "kill -9 of the broker: no confirm while it is down, reconnect after, confirmed messages "
    "kept") {
    auto& server = sharedBroker();
    const auto queue = uniqueName("link.crash");
    LinkOptions options;
    options.reconnectMax = 500ms;
    AmqpLink link(BrokerAddress::parse(server.url()), oneQueue(queue), options, logStatus);
    REQUIRE(link.waitReady(10s));
    // Give the new quorum queue time to be durable in the broker's metadata (PLATFORM.md).
    std::this_thread::sleep_for(1500ms);
    link.publishAndWait({toQueue(queue, "before", "kept")});

    server.kill9();
    REQUIRE(becomesFalse([&] { return link.ready(); }));
    for (int i = 0; i < 5; ++i) {
        CHECK_THROWS_AS(link.publishAndWait({toQueue(queue, "down" + std::to_string(i), "x")}),
                        BrokerUnavailable);
        std::this_thread::sleep_for(100ms);
    }
    server.start();
    REQUIRE(link.waitReady(30s));
    CHECK(link.sessions() == 2);
    link.publishAndWait({toQueue(queue, "after", "x")});

    Inbox inbox;
    AmqpLink consumer(BrokerAddress::parse(server.url()), oneQueue(queue), {}, logStatus);
    consumer.consume(queue, 16, inbox.handler());
    REQUIRE(consumer.waitReady(10s));
    auto first = inbox.next();
    auto second = inbox.next();
    REQUIRE(first);
    REQUIRE(second);
    CHECK(first->message.messageId == "before");
    CHECK(second->message.messageId == "after");
    CHECK_FALSE(inbox.next(500ms));  // nothing refused while down was stored
    consumer.ack(first->ref);
    consumer.ack(second->ref);
}
