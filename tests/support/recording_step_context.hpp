// A StepContext for unit tests: runs a step outside the engine and records everything the
// step asks of it. Not thread-safe, like the engine's contexts: one per run or per thread.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "flowgate/message.hpp"
#include "flowgate/step.hpp"

namespace flowgate::testing {

class RecordingStepContext final : public StepContext {
public:
    struct Emitted {
        std::string output;  // kDefaultOutput for emit(), the output's name for emitTo()
        Message message;
    };
    struct RetryRequest {
        std::chrono::milliseconds delay;
        std::string reason;
    };
    struct LogLine {
        LogLevel level;
        std::string text;
    };

    void emit(Message message) override {
        emitted_.push_back({std::string(kDefaultOutput), std::move(message)});
    }
    void emitTo(std::string_view output, Message message) override {
        emitted_.push_back({std::string(output), std::move(message)});
    }
    void retryLater(std::chrono::milliseconds delay, std::string_view reason) override {
        retries_.push_back({delay, std::string(reason)});
    }
    const nlohmann::json& credential() const override { return credential_; }
    void log(LogLevel level, std::string_view text) override {
        logs_.push_back({level, std::string(text)});
    }
    std::string_view flowId() const override { return flowId_; }
    std::string_view stepId() const override { return stepId_; }
    int attempt() const override { return attempt_; }
    void reply(HttpReply reply) override { replies_.push_back(std::move(reply)); }
    const nlohmann::json& engineSettings() const override { return engineSettings_; }
    void waitForResume(std::chrono::milliseconds timeout) override { waits_.push_back(timeout); }

    RecordingStepContext& setCredential(nlohmann::json credential) {
        credential_ = std::move(credential);
        return *this;
    }
    RecordingStepContext& setFlowId(std::string flowId) {
        flowId_ = std::move(flowId);
        return *this;
    }
    RecordingStepContext& setStepId(std::string stepId) {
        stepId_ = std::move(stepId);
        return *this;
    }
    RecordingStepContext& setAttempt(int attempt) {
        attempt_ = attempt;
        return *this;
    }

    const std::vector<Emitted>& emitted() const { return emitted_; }
    const std::vector<RetryRequest>& retries() const { return retries_; }
    const std::vector<LogLine>& logs() const { return logs_; }
    const std::vector<HttpReply>& replies() const { return replies_; }
    const std::vector<std::chrono::milliseconds>& waits() const { return waits_; }
    RecordingStepContext& setEngineSettings(nlohmann::json settings) {
        engineSettings_ = std::move(settings);
        return *this;
    }

    // Forgets what was recorded (not the settings), to reuse the context for another run.
    void clear() {
        emitted_.clear();
        retries_.clear();
        logs_.clear();
        replies_.clear();
        waits_.clear();
    }

private:
    nlohmann::json credential_;  // null: the step has no credential
    std::string flowId_ = "test-flow";
    std::string stepId_ = "test-step";
    int attempt_ = 1;
    std::vector<HttpReply> replies_;
    nlohmann::json engineSettings_ = {{"network", {{"allowPrivateAddresses", false}}}};
    std::vector<Emitted> emitted_;
    std::vector<RetryRequest> retries_;
    std::vector<LogLine> logs_;
    std::vector<std::chrono::milliseconds> waits_;
};

}  // namespace flowgate::testing
