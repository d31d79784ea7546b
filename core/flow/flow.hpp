// The flow model: a webhook trigger and the steps a message goes through. Built once by
// the flow loader from a validated file and immutable afterwards, so workers and HTTP
// threads share it without locks.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "auth/verifier.hpp"
#include "config/engine_config.hpp"
#include "flowgate/common/address_range.hpp"
#include "flowgate/step.hpp"

namespace flowgate::flow {

struct StepDef {
    std::string id;
    std::string component;
    std::string function;
    nlohmann::json config;
    nlohmann::json credential;   // resolved credential document, null if none
    std::shared_ptr<Step> step;  // holds its plugin library loaded
    // Where each output goes: "default" for emit(), other names for emitTo(). An output
    // that is not listed ends that branch of the execution.
    std::map<std::string, std::string, std::less<>> next;
    bool pausesExecution = false;  // the function may wait for the execution's resume URL
    bool pure = false;  // FunctionSpec::pure: the worker may chain the next step onto it
    // How long one run may take before its worker is killed and the attempt fails; unset:
    // the engine's workers.stepTimeoutMs.
    std::optional<std::chrono::milliseconds> timeout;
};

// The answer an async flow gives once the message is stored. `body` may contain
// "{{requestId}}" anywhere in its strings; null means the default
// {"requestId": ..., "message": ...}.
struct AcceptedResponse {
    int status = 202;
    std::map<std::string, std::string> headers;
    nlohmann::json body;
};

struct RateLimit {
    double requests = 0;   // bucket size and refill per `period`
    double periodSeconds = 1;
};

// How a flow's webhook URL behaves: who may call, how, and what they get back.
struct WebhookTrigger {
    std::string responseMode = "async";  // or "sync": wait for an http-reply step
    std::chrono::milliseconds syncTimeout{30000};
    AcceptedResponse accepted;
    std::string credentialId;  // empty: no auth
    std::shared_ptr<const auth::Verifier> verifier;  // null: no auth
    auth::SecretFields secretFields;  // where the credential travels: never stored
    std::vector<std::string> methods = {"GET", "POST", "PUT", "PATCH"};
    // Delivery ids (headers naming one delivery) seen within `dedupeWindow` are
    // answered with the first requestId and not queued again. Empty window: off.
    std::vector<std::string> dedupeHeaders = {"webhook-id", "x-github-delivery",
                                              "x-shopify-webhook-id", "idempotency-key"};
    std::chrono::seconds dedupeWindow{86400};
    std::vector<std::string> corsOrigins;  // "*" allows any origin
    std::vector<common::AddressRange> allowIps;        // empty: everyone
    std::optional<RateLimit> rateLimit;
    std::size_t maxAttachmentBytes = 10 * 1024 * 1024;
};

struct Flow {
    std::string id;
    std::string file;
    // Digest of the flow's document and of the credentials it uses: a reload that
    // builds a flow with the same fingerprint keeps the running one (and its steps).
    std::string fingerprint;
    std::string description;
    bool enabled = true;
    WebhookTrigger trigger;
    config::RetryPolicy retry;
    std::vector<StepDef> steps;  // steps[0] receives the webhook's message
    // Some step may pause the execution: its messages carry meta.resumeUrl.
    bool resumable = false;

    const StepDef* findStep(std::string_view stepId) const;
    // The step that receives what `from` emits on `output`; null if none.
    const StepDef* nextStep(const StepDef& from, std::string_view output) const;
};

// The flows the engine runs, by id. Replaced as a whole when flows are reloaded.
class FlowSet {
public:
    void add(std::shared_ptr<const Flow> flow);
    std::shared_ptr<const Flow> find(std::string_view id) const;
    const std::map<std::string, std::shared_ptr<const Flow>, std::less<>>& all() const {
        return flows_;
    }

private:
    std::map<std::string, std::shared_ptr<const Flow>, std::less<>> flows_;
};

}  // namespace flowgate::flow
