// The StepContext of one work item: what a step asks of the engine while it runs on that
// item (messages to emit, a retry, a wait, a reply), kept for the worker to turn into the
// item's queue outcome once the step returns.
#pragma once

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <Poco/Logger.h>

#include "attachments/attachment_store.hpp"
#include "flow/flow.hpp"
#include "flowgate/message.hpp"
#include "flowgate/step.hpp"

namespace flowgate::runtime {

struct EmittedMessage {
    std::string output;  // kDefaultOutput for emit()
    Message message;     // empty when forwardsInput
    // forwardTo() the run's input: StepChain::forward moves or copies the input in once
    // the step has returned (during the run the step still reads it).
    bool forwardsInput = false;
};

// Made by the worker for one Step::execute call and read by it afterwards; not shared
// between threads.
class WorkItemContext final : public StepContext {
public:
    // `input` is the message the step runs on; it outlives the context.
    WorkItemContext(const flow::Flow& flow, const flow::StepDef& step, const Message& input,
                    std::string_view requestId, int attempt, const nlohmann::json& engineSettings,
                    const attachments::AttachmentStore& attachments, Poco::Logger& logger)
        : flow_(flow),
          step_(step),
          input_(input),
          requestId_(requestId),
          attempt_(attempt),
          engineSettings_(engineSettings),
          attachments_(attachments),
          logger_(logger) {}

    void emit(Message message) override {
        emitted_.push_back({std::string(kDefaultOutput), std::move(message)});
    }
    void emitTo(std::string_view output, Message message) override {
        emitted_.push_back({std::string(output), std::move(message)});
    }
    void retryLater(std::chrono::milliseconds delay, std::string_view reason) override {
        retryLater_ = true;
        retryDelay_ = delay;
        retryReason_ = reason;
    }
    const nlohmann::json& credential() const override { return step_.credential; }
    void log(LogLevel level, std::string_view text) override;
    std::string_view flowId() const override { return flow_.id; }
    std::string_view stepId() const override { return step_.id; }
    int attempt() const override { return attempt_; }
    void reply(HttpReply reply) override {
        if (!reply_) reply_ = std::move(reply);
    }
    const nlohmann::json& engineSettings() const override { return engineSettings_; }
    // Bounded so that the timeout's arithmetic cannot overflow, whatever a plugin asks.
    void waitForResume(std::chrono::milliseconds timeout) override {
        waitTimeout_ = std::clamp<std::chrono::milliseconds>(
            timeout, std::chrono::milliseconds(0), std::chrono::hours(24 * 366));
    }
    AttachmentBytes readAttachment(const Attachment& attachment) const override;
    void forwardTo(std::string_view output, const Message& input) override {
        if (&input == &input_)
            emitted_.push_back({std::string(output), {}, true});
        else
            emitTo(output, input);
    }

    std::vector<EmittedMessage>& emitted() { return emitted_; }
    bool retryLaterRequested() const { return retryLater_; }
    std::chrono::milliseconds retryDelay() const { return retryDelay_; }
    const std::string& retryReason() const { return retryReason_; }
    std::optional<HttpReply>& pendingReply() { return reply_; }
    const std::optional<std::chrono::milliseconds>& waitTimeout() const { return waitTimeout_; }

private:
    const flow::Flow& flow_;
    const flow::StepDef& step_;
    const Message& input_;
    std::string_view requestId_;  // the work item's, which outlives the context
    int attempt_;
    const nlohmann::json& engineSettings_;
    const attachments::AttachmentStore& attachments_;
    Poco::Logger& logger_;
    std::optional<HttpReply> reply_;
    std::vector<EmittedMessage> emitted_;
    bool retryLater_ = false;
    std::chrono::milliseconds retryDelay_{0};
    std::string retryReason_;
    std::optional<std::chrono::milliseconds> waitTimeout_;
};

}  // namespace flowgate::runtime
