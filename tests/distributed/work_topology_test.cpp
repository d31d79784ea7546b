// The engine's queues on a real broker: a retry waits in its delay tier and comes back to
// the work queue; a message no worker can read goes to the poison queue.
#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>

#include "broker/amqp_link.hpp"
#include "broker/work_envelope.hpp"
#include "broker/work_topology.hpp"
#include "distributed/shared_broker.hpp"

using namespace flowgate::broker;
using namespace std::chrono_literals;
using flowgate::test::sharedBroker;
using flowgate::test::uniqueName;

namespace {

class OneDelivery {
public:
    AmqpLink::DeliveryHandler handler() {
        return [this](Delivery d) {
            std::lock_guard lock(mutex_);
            if (!delivery_) delivery_ = std::move(d);
            arrived_.notify_all();
        };
    }
    std::optional<Delivery> wait(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        arrived_.wait_for(lock, timeout, [this] { return delivery_.has_value(); });
        return delivery_;
    }

private:
    std::mutex mutex_;
    std::condition_variable arrived_;
    std::optional<Delivery> delivery_;
};

WorkEnvelope sampleItem() {
    WorkEnvelope item;
    item.itemId = "exec-1/0";
    item.flowId = "orders";
    item.executionId = "exec-1";
    item.stepId = "route";
    item.message = R"({"body":{"total":1500}})";
    item.failedAttempts = 2;
    item.replyTo = "flowgate.reply.abc";
    return item;
}

}  // namespace

TEST_CASE("a work envelope reads back as written, a message without its headers is not one") {
    const auto item = sampleItem();
    const auto read = decodeWork(encodeWork(item));
    REQUIRE(read);
    CHECK(read->itemId == item.itemId);
    CHECK(read->flowId == "orders");
    CHECK(read->executionId == "exec-1");
    CHECK(read->stepId == "route");
    CHECK(read->message == item.message);
    CHECK(read->failedAttempts == 2);
    CHECK(read->replyTo == item.replyTo);
    CHECK(encodeWork(item).correlationId == "exec-1");

    BrokerMessage foreign;
    foreign.messageId = "x";
    foreign.body = "{}";
    CHECK_FALSE(decodeWork(foreign));
    auto badCount = encodeWork(item);
    for (auto& [key, value] : badCount.headers)
        if (key == "flowgate-failed-attempts") value = "-1";
    CHECK_FALSE(decodeWork(badCount));
}

TEST_CASE("derived item ids differ per output and per re-run, and are stable") {
    CHECK(outputItemId("a", 0) != outputItemId("a", 1));
    CHECK(outputItemId("a", 0) == outputItemId("a", 0));
    CHECK(successorItemId("a") != "a");
    CHECK(initialItemId("e", 0) != initialItemId("e", 1));
}

TEST_CASE(
    "a retry waits in the smallest delay tier that covers it, then is back in the work queue") {
    auto& server = sharedBroker();
    WorkTopology topology({uniqueName("topo"), 50});
    AmqpLink link(BrokerAddress::parse(server.url()), topology.declarations(), {});
    OneDelivery work;
    link.consume(topology.workQueue(), 4, work.handler());
    REQUIRE(link.waitReady(20s));

    const auto sent = std::chrono::steady_clock::now();
    link.publishAndWait({topology.toWork(encodeWork(sampleItem()), 700ms)});  // the 1 s tier
    auto delivery = work.wait(10s);
    REQUIRE(delivery);
    const auto waited = std::chrono::steady_clock::now() - sent;
    CHECK(waited >= 950ms);
    CHECK(waited < 5s);
    const auto item = decodeWork(delivery->message);
    REQUIRE(item);
    CHECK(item->itemId == "exec-1/0");
    CHECK(item->failedAttempts == 2);
    link.ack(delivery->ref);
}

TEST_CASE("a message rejected from the work queue is kept in the poison queue") {
    auto& server = sharedBroker();
    WorkTopology topology({uniqueName("topo"), 50});
    AmqpLink link(BrokerAddress::parse(server.url()), topology.declarations(), {});
    OneDelivery work;
    OneDelivery poison;
    link.consume(topology.workQueue(), 4, work.handler());
    link.consume(topology.poisonQueue(), 4, poison.handler());
    REQUIRE(link.waitReady(20s));

    link.publishAndWait({topology.toWork(encodeWork(sampleItem()), 0ms)});
    auto delivery = work.wait(10s);
    REQUIRE(delivery);
    link.reject(delivery->ref, false);
    auto kept = poison.wait(10s);
    REQUIRE(kept);
    CHECK(kept->message.messageId == "exec-1/0");
    link.ack(kept->ref);
}
