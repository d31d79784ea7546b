#include "broker/work_envelope.hpp"

#include <charconv>

namespace flowgate::broker {

namespace {

const char* const kFlow = "flowgate-flow";
const char* const kExecution = "flowgate-execution";
const char* const kStep = "flowgate-step";
const char* const kAttempts = "flowgate-failed-attempts";

}  // namespace

BrokerMessage encodeWork(const WorkEnvelope& envelope) {
    BrokerMessage message;
    message.messageId = envelope.itemId;
    message.body = envelope.message;
    message.replyTo = envelope.replyTo;
    message.correlationId = envelope.executionId;
    message.headers = {{kFlow, envelope.flowId},
                       {kExecution, envelope.executionId},
                       {kStep, envelope.stepId},
                       {kAttempts, std::to_string(envelope.failedAttempts)}};
    return message;
}

std::optional<WorkEnvelope> decodeWork(const BrokerMessage& message) {
    auto flow = message.header(kFlow);
    auto execution = message.header(kExecution);
    auto step = message.header(kStep);
    auto attempts = message.header(kAttempts);
    if (!flow || !execution || !step || !attempts || message.messageId.empty()) return std::nullopt;
    WorkEnvelope envelope;
    const auto parsed = std::from_chars(attempts->data(), attempts->data() + attempts->size(),
                                        envelope.failedAttempts);
    if (parsed.ec != std::errc() || envelope.failedAttempts < 0) return std::nullopt;
    envelope.itemId = message.messageId;
    envelope.flowId = std::move(*flow);
    envelope.executionId = std::move(*execution);
    envelope.stepId = std::move(*step);
    envelope.message = message.body;
    envelope.replyTo = message.replyTo;
    return envelope;
}

std::string outputItemId(const std::string& itemId, std::size_t index) {
    return itemId + "." + std::to_string(index);
}

std::string successorItemId(const std::string& itemId) {
    return itemId + "+";
}

std::string initialItemId(const std::string& executionId, std::size_t index) {
    return executionId + "/" + std::to_string(index);
}

}  // namespace flowgate::broker
