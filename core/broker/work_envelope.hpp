// A work item as a broker message: the one module that writes and reads the headers
// that say which flow, execution and step a message is for.
#pragma once

#include <optional>
#include <string>

#include "broker/broker_message.hpp"

namespace flowgate::broker {

struct WorkEnvelope {
    std::string itemId;  // the AMQP message_id: unique per published item
    std::string flowId;
    std::string executionId;  // also the correlation id of a sync reply
    std::string stepId;
    std::string message;  // serialized flowgate::Message JSON: the body
    // Failed attempts counted before this message was published (a retry's successor
    // carries them on); deliveries that died unacked are added from x-delivery-count.
    int failedAttempts = 0;
    std::string replyTo;  // the reply queue of the ingress whose caller waits, or ""
};

BrokerMessage encodeWork(const WorkEnvelope& envelope);
// nullopt when a header is missing or malformed (not a Flowgate work message).
std::optional<WorkEnvelope> decodeWork(const BrokerMessage& message);

// The id of the `index`-th output of item `itemId`: derived, so a re-run after a crash
// publishes the ids the state recorded the first time (SharedState's contract).
std::string outputItemId(const std::string& itemId, std::size_t index);
// The id of the item that re-runs `itemId` (a retry or a release).
std::string successorItemId(const std::string& itemId);
// The id of the first items of a new execution.
std::string initialItemId(const std::string& executionId, std::size_t index);

}  // namespace flowgate::broker
