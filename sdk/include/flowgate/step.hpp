// The step interfaces: what a component's step does with one message, and what it may
// ask of the engine while it runs.
#pragma once

#include <chrono>
#include <exception>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/config.hpp>
#include <nlohmann/json.hpp>

#include "flowgate/message.hpp"

namespace flowgate {

enum class LogLevel { debug, info, warning, error };

// The output emit() sends to; a flow step's "next" names it "default".
inline constexpr std::string_view kDefaultOutput = "default";

// The answer to the caller of a sync flow.
struct HttpReply {
    int status = 200;
    std::map<std::string, std::string> headers;
    std::string body;
};

// The bytes of one attachment, or why they cannot be read (`ok()` false).
struct AttachmentBytes {
    std::string bytes;
    std::string error;  // empty when the bytes were read
    bool ok() const { return error.empty(); }
};

// What a step may ask of the engine during one run. The engine makes one context per
// work item and it is valid only for the duration of that Step::execute call; it is not
// shared between threads. Messages emitted by a step that later fails are discarded.
class BOOST_SYMBOL_VISIBLE StepContext {
public:
    // Passes a message on to the next step of the flow (each emitted message becomes its
    // own work item). A step that emits nothing ends its branch of the execution.
    virtual void emit(Message message) = 0;
    // Like emit, for components with named outputs (a router's branches).
    virtual void emitTo(std::string_view output, Message message) = 0;
    // Asks the engine to run this step again with the same input after `delay`, without
    // counting a failed attempt (e.g. an upstream rate limit). Emitted messages are dropped.
    virtual void retryLater(std::chrono::milliseconds delay, std::string_view reason) = 0;
    // The step's credential with every secret resolved; a null JSON value if the step has
    // none. Never log it.
    virtual const nlohmann::json& credential() const = 0;
    virtual void log(LogLevel level, std::string_view text) = 0;
    virtual std::string_view flowId() const = 0;
    virtual std::string_view stepId() const = 0;
    // 1 on the first try of this work item, 2 on the first retry, ...
    virtual int attempt() const = 0;
    // Answers the webhook caller that started this execution, if its flow is sync and
    // the caller still waits; only an execution's first reply counts. Sent once the
    // step's outcome is stored.
    virtual void reply(HttpReply reply) = 0;
    // Engine settings a component may need, e.g.
    //   {"network": {"allowPrivateAddresses": false}, "publicBaseUrl": "http://host:port"}
    virtual const nlohmann::json& engineSettings() const = 0;
    // Pauses the execution at this step (its function must declare pausesExecution): the
    // work item is stored as waiting, with meta.wait = {"step", "since", "timeoutAt"}
    // added to its message, until the execution's resume URL (meta.resumeUrl) is called
    // or `timeout` passes. Then this step runs again: after a call with meta.resume =
    // {"step", "body", "query", "method", "headers", "receivedAt"} in place of meta.wait,
    // after the timeout with meta.wait still there ("step" is this step's id). Survives
    // engine restarts. Emitted messages are dropped.
    // The typed view of meta.wait and meta.resume is flowgate/resume.hpp.
    virtual void waitForResume(std::chrono::milliseconds timeout) = 0;
    // The stored bytes of one of the input message's attachments (in.attachments). Only
    // attachments of this execution can be read; the bytes are checked against the
    // attachment's sha256. Never throws: a missing, foreign or damaged attachment is an
    // error value.
    virtual AttachmentBytes readAttachment(const Attachment& attachment) const = 0;
    // Passes the step's input message on unchanged to `output`: what emitTo(output, input)
    // does, without the deep copy of the message. The engine owns the input and moves it
    // on once the step returns (a copy only for all but the last of several forwards).
    // `input` must be the message execute() received; another message is copied as
    // emitTo would. (SDK 2.2; last in the interface so that the older slots keep their
    // places.)
    virtual void forwardTo(std::string_view output, const Message& input) = 0;
    // forwardTo the default output.
    void forward(const Message& input) { forwardTo(kDefaultOutput, input); }

protected:
    ~StepContext() = default;  // owned by the engine, never deleted through this interface
};

struct StepResult {
    bool ok = true;
    std::string error;  // why the attempt failed, when !ok
    // With !ok: no later attempt can succeed (a missing field, an API's 401). The engine
    // dead-letters the work item at once with `error` instead of retrying it.
    bool permanent = false;
};

// Thrown from StepBase::run() for a failure that retrying cannot fix: the work item goes
// to the dead letters at once, with this reason, whatever attempts the flow has left.
// Caught inside the plugin by StepBase (it never crosses the library boundary).
class BOOST_SYMBOL_VISIBLE PermanentFailure : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// One configured step of a flow. Created once per flow load from a validated config and
// shared by every worker thread: execute() may run concurrently for different messages,
// so a step keeps its per-run state on the stack and treats its config as read-only.
class BOOST_SYMBOL_VISIBLE Step {
public:
    virtual ~Step() = default;
    // Never throws: exceptions are turned into a failed StepResult inside the plugin,
    // so none crosses the library boundary.
    virtual StepResult execute(const Message& input, StepContext& context) noexcept = 0;
};

// Base class for plugin steps: implement run() and throw on failure.
class StepBase : public Step {
public:
    StepResult execute(const Message& input, StepContext& context) noexcept final {
        try {
            run(input, context);
            return {};
        } catch (const PermanentFailure& e) {
            return {false, e.what(), true};
        } catch (const std::exception& e) {
            return {false, e.what()};
        } catch (...) {
            return {false, "step threw a non-standard exception"};
        }
    }

protected:
    // Handles one message. Throwing fails this attempt; the engine retries with backoff
    // and dead-letters the work item after the flow's last attempt. Throw
    // PermanentFailure to dead-letter it at once.
    virtual void run(const Message& input, StepContext& context) = 0;
};

}  // namespace flowgate
