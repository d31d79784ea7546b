#include "distributed/distributed_backend.hpp"

#include <Poco/Logger.h>

namespace flowgate::distributed {

DistributedBackend::DistributedBackend(const DistributedSettings& settings)
    : runsWork_(settings.runsWork),
      prefetch_(settings.prefetch),
      state_(state::openPostgresState(settings.state)),
      topology_(settings.topology) {
    broker::LinkOptions options;
    options.confirmTimeout = settings.confirmTimeout;
    broker::Topology declarations = topology_.declarations();
    if (settings.takesCalls) {
        replyQueue_ = topology_.newReplyQueueName();
        declarations = topology_.declarationsWithReplyQueue(replyQueue_);
    }
    auto address = broker::BrokerAddress::parse(settings.brokerUrl);
    static Poco::Logger& log = Poco::Logger::get("flowgate.broker");
    link_ = std::make_unique<broker::AmqpLink>(
        std::move(address), std::move(declarations), options,
        [](bool connected, const std::string& detail) {
            if (connected)
                log.information(detail);
            else
                log.error("broker link down, new work gets 503: " + detail);
        });
    replies_ = std::make_unique<broker::BrokerReplyChannel>(
        *link_, replyQueue_, [this](const std::string& executionId) {
            return queue_ != nullptr ? queue_->replyQueueOf(executionId) : std::nullopt;
        });
}

DistributedBackend::~DistributedBackend() = default;

std::unique_ptr<queue::Queue> DistributedBackend::makeQueue() {
    broker::BrokerQueueOptions options;
    options.replyQueue = replyQueue_;
    auto queue = std::make_unique<broker::BrokerQueue>(*link_, topology_, *state_, options);
    if (runsWork_) queue->consumeWork(prefetch_);
    queue_ = queue.get();
    return queue;
}

}  // namespace flowgate::distributed
