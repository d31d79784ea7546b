#include "distributed/shared_broker.hpp"

#include <unistd.h>

#include <atomic>
#include <memory>

#include "support/temp_dir.hpp"

namespace flowgate::test {

namespace {

// The directory outlives the broker that writes into it.
struct Shared {
    TempDir dir;
    std::unique_ptr<RabbitMqServer> server;
};

}  // namespace

RabbitMqServer& sharedBroker() {
    static Shared shared;
    if (!shared.server) shared.server = std::make_unique<RabbitMqServer>(shared.dir / "rabbitmq");
    return *shared.server;
}

std::string uniqueName(const std::string& prefix) {
    static std::atomic<int> counter{0};
    return prefix + "." + std::to_string(::getpid()) + "." + std::to_string(counter++);
}

}  // namespace flowgate::test
