// FlowgateSDK::testkit: unit-test a step without an engine.
// - LoadedPlugin loads the built plugin library the way the engine does (its ABI key is
//   checked first) and makes steps of its functions;
// - makeStep() makes a step of a component as the engine does, with the function's
//   schema defaults filled into the config (flowgate/schema_defaults.hpp);
// - RecordingStepContext is a StepContext that records everything a step asks of the
//   engine (emitted messages, retries, waits, replies, log lines) and serves what a test
//   sets up (a credential, engine settings, attachment bytes).
//
//   flowgate::testkit::LoadedPlugin plugin("build/libflowgate-shout.so");
//   flowgate::testkit::RecordingStepContext context;
//   const flowgate::StepResult result =
//       plugin.makeStep("mark", {{"field", "loud"}})->execute(message, context);
//   REQUIRE(result.ok);
//   CHECK(context.emitted().at(0).message.body["loud"] == true);
//
// The config is not checked against the schema here (the engine does that with a JSON
// Schema validator the SDK does not carry): pass configs the schema accepts.
// Not thread-safe, like the engine's contexts: one per run or per thread. Header-only;
// link FlowgateSDK::testkit.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/dll/shared_library.hpp>
#include <nlohmann/json.hpp>

#include "flowgate/component.hpp"
#include "flowgate/plugin.hpp"
#include "flowgate/message.hpp"
#include "flowgate/schema_defaults.hpp"
#include "flowgate/step.hpp"

namespace flowgate::testkit {

class RecordingStepContext final : public StepContext {
public:
    struct Emitted {
        std::string output;  // kDefaultOutput for emit(), the output's name for emitTo()
        Message message;
        bool forwarded = false;  // forward()/forwardTo(): the input passed on unchanged
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
    // Records a copy: the test still holds the input it passed to execute().
    void forwardTo(std::string_view output, const Message& input) override {
        emitted_.push_back({std::string(output), input, true});
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
    AttachmentBytes readAttachment(const Attachment& attachment) const override {
        auto it = attachmentBytes_.find(attachment.ref);
        if (it == attachmentBytes_.end())
            return {{}, "attachment '" + attachment.name + "' does not belong to this execution"};
        return {it->second, {}};
    }

    // The step's credential as the engine hands it over (secrets resolved).
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
    // E.g. {"network": {"allowPrivateAddresses": true}} to let a step call a test server
    // on 127.0.0.1 (the default refuses internal addresses, as the engine does).
    RecordingStepContext& setEngineSettings(nlohmann::json settings) {
        engineSettings_ = std::move(settings);
        return *this;
    }
    // Stores `bytes` as an attachment of the execution and describes it: put the result
    // in the input message's attachments, and readAttachment() serves the bytes.
    Attachment addAttachment(std::string name, std::string contentType, std::string bytes) {
        Attachment attachment;
        attachment.name = std::move(name);
        attachment.contentType = std::move(contentType);
        attachment.size = bytes.size();
        attachment.ref = "testkit/" + std::to_string(attachmentBytes_.size());
        attachmentBytes_[attachment.ref] = std::move(bytes);
        return attachment;
    }

    const std::vector<Emitted>& emitted() const { return emitted_; }
    const std::vector<RetryRequest>& retries() const { return retries_; }
    const std::vector<LogLine>& logs() const { return logs_; }
    const std::vector<HttpReply>& replies() const { return replies_; }
    const std::vector<std::chrono::milliseconds>& waits() const { return waits_; }

    // Forgets what was recorded (not what was set up), to reuse the context for another run.
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
    nlohmann::json engineSettings_ = {{"network", {{"allowPrivateAddresses", false}}}};
    std::map<std::string, std::string> attachmentBytes_;
    std::vector<Emitted> emitted_;
    std::vector<RetryRequest> retries_;
    std::vector<LogLine> logs_;
    std::vector<HttpReply> replies_;
    std::vector<std::chrono::milliseconds> waits_;
};

// A step of `component`'s `function`, made as the engine makes it: the manifest's
// defaults filled in, then Component::createStep. Throws std::invalid_argument with the
// component's refusal (an unknown function, a config it rejects).
inline std::unique_ptr<Step> makeStep(Component& component, std::string_view function,
                                      const nlohmann::json& config = nlohmann::json::object()) {
    for (const auto& spec : component.manifest().functions) {
        if (spec.name != function) continue;
        CreateStepResult created =
            component.createStep(function, withSchemaDefaults(spec.configSchema, config));
        if (!created.step) throw std::invalid_argument(created.error);
        return std::move(created.step);
    }
    throw std::invalid_argument("component '" + component.manifest().name +
                                "' has no function '" + std::string(function) + "'");
}

// A plugin library loaded as the engine loads it, for the life of the object.
class LoadedPlugin {
public:
    // Throws std::runtime_error if the file is not a Flowgate plugin, was built for
    // another ABI (both keys in the message), or its component could not be made.
    explicit LoadedPlugin(const std::filesystem::path& file) : library_(file) {
        if (!library_.has("flowgate_plugin"))
            throw std::runtime_error(file.string() + " has no flowgate_plugin entry point");
        const auto& descriptor = library_.get_alias<const PluginDescriptor>("flowgate_plugin");
        if (std::string_view(descriptor.abiKey) != FLOWGATE_ABI_KEY)
            throw std::runtime_error(file.string() + " was built for ABI " + descriptor.abiKey +
                                     ", this test for " + FLOWGATE_ABI_KEY);
        component_.reset(descriptor.createComponent());
        if (!component_) throw std::runtime_error(file.string() + ": its component threw");
    }

    Component& component() { return *component_; }
    const Manifest& manifest() const { return component_->manifest(); }

    // A step of `function`, as makeStep() above makes it. It must not outlive the plugin.
    std::unique_ptr<Step> makeStep(std::string_view function,
                                   const nlohmann::json& config = nlohmann::json::object()) {
        return testkit::makeStep(*component_, function, config);
    }

private:
    boost::dll::shared_library library_;  // declared first: outlives the component
    std::unique_ptr<Component> component_;
};

}  // namespace flowgate::testkit
