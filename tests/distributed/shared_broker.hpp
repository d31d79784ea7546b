// The broker the tests of this binary share: one RabbitMQ start (10-20 s) per binary,
// not per test. Tests use queue names of their own; a test that kills the broker
// starts it again before it ends.
#pragma once

#include <string>

#include "support/rabbitmq_server.hpp"

namespace flowgate::test {

// Started at the first call, killed at exit.
RabbitMqServer& sharedBroker();

// A name no other test (or earlier run) uses: "<prefix>.<pid>.<counter>".
std::string uniqueName(const std::string& prefix);

}  // namespace flowgate::test
