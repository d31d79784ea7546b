// How a sync flow's reply finds the HTTP request that waits for it. Sits below both the
// Webhooks Service and the runtime, so neither includes the other: the service waits on
// a request id, a worker delivers to it.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "flowgate/step.hpp"

namespace flowgate::reply {

// One caller waiting for the reply of one execution. Owned by that caller; destroying
// it stops the wait (a reply that arrives later is dropped).
class ReplyWaiter {
public:
    virtual ~ReplyWaiter() = default;
    // Blocks until the reply arrives or `deadline` passes (then nullopt).
    virtual std::optional<HttpReply> wait(std::chrono::steady_clock::time_point deadline) = 0;
};

// Thread-safe.
class ReplyChannel {
public:
    virtual ~ReplyChannel() = default;
    // Registers a waiter for `executionId`. Call before the message is enqueued, so a
    // reply that comes back quickly is not missed.
    virtual std::unique_ptr<ReplyWaiter> expect(const std::string& executionId) = 0;
    // Hands `reply` to the waiter of `executionId`; the first reply wins. Nobody waiting
    // (async flow, caller gone, timed out): dropped.
    virtual void deliver(const std::string& executionId, HttpReply reply) = 0;
};

// The one-machine channel: a map from execution id to a waiting slot.
std::unique_ptr<ReplyChannel> makeInProcessReplyChannel();

}  // namespace flowgate::reply
