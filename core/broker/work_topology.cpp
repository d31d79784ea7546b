#include "broker/work_topology.hpp"

#include <random>

namespace flowgate::broker {

namespace {

const char* const kTierHeader = "flowgate-delay-tier";

}  // namespace

WorkTopology::WorkTopology(WorkTopologyOptions options)
    : options_(std::move(options)),
      workQueue_(options_.prefix + ".work"),
      poisonQueue_(options_.prefix + ".poison"),
      delayExchange_(options_.prefix + ".delay"),
      poisonExchange_(options_.prefix + ".poison") {}

const std::vector<std::chrono::milliseconds>& WorkTopology::delayTiers() {
    using namespace std::chrono_literals;
    static const std::vector<std::chrono::milliseconds> tiers = {1s,  2s,   5s,    10s,  30s,
                                                                 60s, 5min, 15min, 60min};
    return tiers;
}

std::string WorkTopology::tierQueue(std::chrono::milliseconds tier) const {
    return options_.prefix + ".delay." + std::to_string(tier.count()) + "ms";
}

Topology WorkTopology::declarations() const {
    Topology topology;
    topology.exchanges.push_back({delayExchange_, "headers"});
    topology.exchanges.push_back({poisonExchange_, "fanout"});

    QueueSpec poison;
    poison.name = poisonQueue_;
    topology.queues.push_back(poison);
    topology.bindings.push_back({poisonQueue_, poisonExchange_, "", {}});

    QueueSpec work;
    work.name = workQueue_;
    work.deliveryLimit = options_.deliveryLimit;
    work.deadLetterExchange = poisonExchange_;
    work.atLeastOnceDeadLettering = true;
    topology.queues.push_back(work);

    for (const auto tier : delayTiers()) {
        QueueSpec queue;
        queue.name = tierQueue(tier);
        queue.messageTtlMs = tier.count();
        queue.deadLetterExchange = "";  // the default exchange: back by the routing key
        queue.atLeastOnceDeadLettering = true;
        topology.queues.push_back(queue);
        topology.bindings.push_back(
            {queue.name, delayExchange_, "", {{kTierHeader, std::to_string(tier.count())}}});
    }
    return topology;
}

Topology WorkTopology::declarationsWithReplyQueue(const std::string& replyQueue) const {
    Topology topology = declarations();
    QueueSpec reply;
    reply.name = replyQueue;
    reply.quorum = false;
    reply.exclusive = true;
    topology.queues.push_back(reply);
    return topology;
}

std::string WorkTopology::newReplyQueueName() const {
    std::random_device random;
    std::uniform_int_distribution<std::uint64_t> any;
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(any(random)));
    return options_.prefix + ".reply." + text;
}

Publication WorkTopology::toWork(BrokerMessage message, std::chrono::milliseconds delay) const {
    Publication publication;
    publication.routingKey = workQueue_;
    publication.message = std::move(message);
    if (delay.count() <= 0) return publication;
    auto tier = delayTiers().back();
    for (const auto candidate : delayTiers()) {
        if (candidate >= delay) {
            tier = candidate;
            break;
        }
    }
    publication.exchange = delayExchange_;
    publication.message.headers.emplace_back(kTierHeader, std::to_string(tier.count()));
    return publication;
}

}  // namespace flowgate::broker
