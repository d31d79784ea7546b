// A component: what a plugin offers (its manifest) and how it turns a validated step
// config into a Step.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/config.hpp>
#include <nlohmann/json.hpp>

#include "flowgate/step.hpp"

namespace flowgate {

// A manifest is written with named fields (C++20 designated initialisers, in the order
// the fields are declared here; any field may be left out):
//
//   flowgate::Manifest{
//       .name = "shout", .version = "1.0.0", .description = "Marks messages.",
//       .functions = {{.name = "mark",
//                      .description = "Adds a field",
//                      .configSchema = {{"type", "object"}, ...}}}};
//
// Every field has a default member initialiser, so leaving one out is not a
// -Wmissing-field-initializers warning with GCC's -Wextra.
//
// Schemas are JSON Schema draft 7. The engine checks every step config and credential
// against them when a flow loads, and fills in each "default" a config schema states
// for a field the flow leaves out, so a step reads its config without restating them.

// One function (action) of a component. The manifest is the single description of a
// component: the engine validates step configs against `configSchema`, `flowgate
// plugins` prints it, and fields marked `"writeOnly": true` in the schema are secrets
// that are never printed or logged.
struct FunctionSpec {
    std::string name{};
    std::string description{};
    nlohmann::json configSchema = nlohmann::json::object();
    // The name of the credential type a step of this function needs (one of the
    // manifest's credentialTypes); empty: the function takes no credential.
    std::string credentialType{};
    // Named outputs for emitTo, besides "default" (emit()); empty: just emit. An entry
    // starting with '/' is a JSON pointer into the step's config whose string value(s) are
    // output names, `*` standing for every element ("/branches/*/name"): outputs a flow
    // configures. The engine refuses a `next` that names an output not declared here.
    std::vector<std::string> outputs{};
    // The function may call StepContext::waitForResume. Messages of a flow with such a
    // step carry meta.resumeUrl, the URL that resumes their execution.
    bool pausesExecution = false;
    // The function has no effect outside the messages it emits (no call out, no file, no
    // reply, no state kept between runs): running it again on the same input is harmless.
    // The engine may then run it again after a crash, and may run the next step on its
    // output in the same attempt without storing that output first (workers.chainPureSteps).
    // Logging is allowed. Leave it false when in doubt: false only costs a queue round trip.
    bool pure = false;
};

// A kind of credential a component's functions take, e.g. an API token. A step's
// credential file ({"id", "type", ...fields}) is checked against `schema` when its flow
// loads: a missing or malformed field refuses the flow (with the credential file and the
// field's JSON pointer) instead of failing when the step runs. Mark secret fields
// `"writeOnly": true`. Credential files may hold any field as {"env": ...} or {"file": ...};
// the schema sees the resolved values.
struct CredentialType {
    std::string name{};  // what FunctionSpec::credentialType and the file's "type" say
    std::string description{};
    nlohmann::json schema = nlohmann::json::object();
};

struct Manifest {
    std::string name{};  // the `component` a flow step names; unique across plugins
    std::string version{};
    std::string description{};
    std::vector<FunctionSpec> functions{};
    std::vector<CredentialType> credentialTypes{};
};

struct CreateStepResult {
    std::unique_ptr<Step> step;  // null on error
    std::string error;
};

// Made once when the plugin is loaded and kept for the life of the engine. Its methods
// may be called from any thread, one at a time.
class BOOST_SYMBOL_VISIBLE Component {
public:
    virtual ~Component() = default;
    virtual const Manifest& manifest() const noexcept = 0;
    // `config` has already passed the function's configSchema. Never throws.
    virtual CreateStepResult createStep(std::string_view function,
                                        const nlohmann::json& config) noexcept = 0;
};

// Base class for plugin components: implement manifest() and create(); throw (e.g.
// std::invalid_argument) for a config the schema could not catch, such as a jq program
// that does not compile.
class ComponentBase : public Component {
public:
    CreateStepResult createStep(std::string_view function,
                                const nlohmann::json& config) noexcept final {
        try {
            auto step = create(function, config);
            if (!step) return {nullptr, "component '" + manifest().name +
                                            "' has no function '" + std::string(function) + "'"};
            return {std::move(step), {}};
        } catch (const std::exception& e) {
            return {nullptr, e.what()};
        } catch (...) {
            return {nullptr, "component threw a non-standard exception"};
        }
    }

protected:
    // Returns null for an unknown function.
    virtual std::unique_ptr<Step> create(std::string_view function,
                                         const nlohmann::json& config) = 0;
};

}  // namespace flowgate
