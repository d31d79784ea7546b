// The typed view of a paused execution, for steps whose function declares
// pausesExecution: what the engine records in a message's meta when the step waits
// (meta.wait) and when the execution's resume URL is called (meta.resume).
//
// A waiting step runs again either after a resume call or after its timeout:
//
//   void run(const flowgate::Message& in, flowgate::StepContext& ctx) override {
//       const flowgate::WaitState state = flowgate::waitStateOf(in, ctx.stepId());
//       if (auto* call = state.resumed()) { ...call->body...; return; }
//       if (state.timedOut()) { ...; return; }
//       ctx.waitForResume(std::chrono::hours(1));   // the first run: pause
//   }
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "flowgate/message.hpp"

namespace flowgate {

// meta.wait: a step of this execution waited ("since") until "timeoutAt" (ISO 8601 UTC).
struct WaitRecord {
    std::string step;
    std::string since;
    std::string timeoutAt;
};

// meta.resume: the call to the resume URL that resumed the execution at "step".
struct ResumeCall {
    std::string step;
    std::string method;      // GET, POST or PUT
    nlohmann::json body;     // decoded like a webhook body (a GET's query parameters)
    nlohmann::json query = nlohmann::json::object();
    nlohmann::json headers = nlohmann::json::object();  // lower-cased, credentials removed
    std::string receivedAt;  // ISO 8601 UTC
};

inline void to_json(nlohmann::json& j, const WaitRecord& w) {
    j = nlohmann::json{{"step", w.step}, {"since", w.since}, {"timeoutAt", w.timeoutAt}};
}

inline void from_json(const nlohmann::json& j, WaitRecord& w) {
    w.step = j.value("step", "");
    w.since = j.value("since", "");
    w.timeoutAt = j.value("timeoutAt", "");
}

inline void to_json(nlohmann::json& j, const ResumeCall& c) {
    j = nlohmann::json{{"step", c.step},       {"method", c.method},   {"body", c.body},
                       {"query", c.query},     {"headers", c.headers}, {"receivedAt", c.receivedAt}};
}

inline void from_json(const nlohmann::json& j, ResumeCall& c) {
    c.step = j.value("step", "");
    c.method = j.value("method", "");
    c.body = j.contains("body") ? j.at("body") : nlohmann::json::object();
    c.query = j.contains("query") ? j.at("query") : nlohmann::json::object();
    c.headers = j.contains("headers") ? j.at("headers") : nlohmann::json::object();
    c.receivedAt = j.value("receivedAt", "");
}

// Where a pausing step stands for one input message.
class WaitState {
public:
    WaitState() = default;
    explicit WaitState(ResumeCall call) : call_(std::move(call)) {}
    explicit WaitState(WaitRecord timedOut) : timedOut_(std::move(timedOut)) {}

    // The call that resumed this step; null if it was not resumed.
    const ResumeCall* resumed() const { return call_ ? &*call_ : nullptr; }
    // The wait that ran out; null if this step did not time out.
    const WaitRecord* timedOut() const { return timedOut_ ? &*timedOut_ : nullptr; }
    // Neither: the step has not waited yet (its first run).
    bool first() const { return !call_ && !timedOut_; }

private:
    std::optional<ResumeCall> call_;
    std::optional<WaitRecord> timedOut_;
};

// Reads meta.resume / meta.wait of `input` for the step `stepId` (StepContext::stepId()).
// Records that name another step (an earlier wait step of the same flow) are ignored, so
// a second wait step never takes the first one's resume for its own.
inline WaitState waitStateOf(const Message& input, std::string_view stepId) {
    if (!input.meta.is_object()) return {};
    const auto namesStep = [&](const char* key) -> const nlohmann::json* {
        auto it = input.meta.find(key);
        if (it == input.meta.end() || !it->is_object()) return nullptr;
        auto step = it->find("step");
        if (step == it->end() || !step->is_string() || step->get_ref<const std::string&>() != stepId)
            return nullptr;
        return &*it;
    };
    if (const auto* call = namesStep("resume")) return WaitState(call->get<ResumeCall>());
    if (const auto* wait = namesStep("wait")) return WaitState(wait->get<WaitRecord>());
    return {};
}

}  // namespace flowgate
