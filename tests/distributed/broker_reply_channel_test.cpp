// Sync replies over a real broker: a worker host's channel answers a caller waiting on
// another process's channel (its own link, its own exclusive reply queue).
#include <catch2/catch.hpp>

#include <chrono>

#include "broker/amqp_link.hpp"
#include "broker/broker_reply_channel.hpp"
#include "broker/work_topology.hpp"
#include "distributed/shared_broker.hpp"

using namespace flowgate::broker;
using namespace std::chrono_literals;
using flowgate::HttpReply;
using flowgate::test::sharedBroker;
using flowgate::test::uniqueName;

TEST_CASE("a reply delivered on a worker's link reaches the caller waiting at the ingress") {
    auto& server = sharedBroker();
    WorkTopology topology({uniqueName("reply"), 50});
    const auto replyQueue = topology.newReplyQueueName();
    AmqpLink ingressLink(BrokerAddress::parse(server.url()),
                         topology.declarationsWithReplyQueue(replyQueue), {});
    AmqpLink workerLink(BrokerAddress::parse(server.url()), topology.declarations(), {});
    BrokerReplyChannel ingress(ingressLink, replyQueue,
                               [](const std::string&) { return std::optional<std::string>(); });
    // The worker host knows the reply queue from the item it holds (here: one execution).
    BrokerReplyChannel worker(workerLink, "", [&](const std::string& executionId) {
        return executionId == "exec-7" ? std::optional<std::string>(replyQueue) : std::nullopt;
    });
    REQUIRE(ingressLink.waitReady(20s));
    REQUIRE(workerLink.waitReady(20s));

    auto waiter = ingress.expect("exec-7");
    auto other = ingress.expect("exec-8");
    worker.deliver("exec-7", HttpReply{201,
                                       {{"Content-Type", "text/plain"}, {"X-Id", "7"}},
                                       std::string("done\0bytes", 10)});
    worker.deliver("exec-8", HttpReply{200, {}, "not routed: the worker holds no item of it"});
    const auto reply = waiter->wait(std::chrono::steady_clock::now() + 10s);
    REQUIRE(reply);
    CHECK(reply->status == 201);
    CHECK(reply->headers.at("Content-Type") == "text/plain");
    CHECK(reply->headers.at("X-Id") == "7");
    CHECK(reply->body == std::string("done\0bytes", 10));
    CHECK_FALSE(other->wait(std::chrono::steady_clock::now() + 500ms));
}
