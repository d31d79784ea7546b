#include "flow/flow_loader.hpp"

#include <algorithm>
#include <set>

#include <Poco/String.h>

#include "auth/verifier.hpp"
#include "flowgate/common/byte_encoding.hpp"
#include "flowgate/common/hmac.hpp"
#include "flowgate/common/secret_bytes.hpp"
#include "config/json_file.hpp"
#include "config/config_schema.hpp"
#include "plugin/function_outputs.hpp"

namespace flowgate::flow {

namespace fs = std::filesystem;
using config::ConfigErrors;
using nlohmann::json;

namespace {

const config::ConfigSchema& flowSchema() {
    static const config::ConfigSchema schema = [] {
        json s = json::parse(R"({
          "type": "object",
          "required": ["id", "steps"],
          "additionalProperties": false,
          "properties": {
            "id":          {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
            "description": {"type": "string"},
            "enabled":     {"type": "boolean"},
            "trigger": {
              "type": "object", "additionalProperties": false,
              "properties": {
                "type":       {"enum": ["webhook"]},
                "credential": {"type": "string", "minLength": 1},
                "methods": {"type": "array", "minItems": 1, "uniqueItems": true,
                            "items": {"enum": ["GET", "POST", "PUT", "PATCH"]}},
                "response": {
                  "type": "object", "additionalProperties": false,
                  "properties": {
                    "mode":      {"enum": ["async", "sync"]},
                    "status":    {"type": "integer", "minimum": 200, "maximum": 299},
                    "headers":   {"type": "object", "additionalProperties": {"type": "string"}},
                    "body":      {},
                    "timeoutMs": {"type": "integer", "minimum": 1, "maximum": 600000}
                  }
                },
                "dedupe": {
                  "type": "object", "additionalProperties": false,
                  "properties": {
                    "headers":       {"type": "array", "items": {"type": "string", "minLength": 1}},
                    "windowSeconds": {"type": "integer", "minimum": 0}
                  }
                },
                "cors": {
                  "type": "object", "additionalProperties": false,
                  "properties": {"origins": {"type": "array", "items": {"type": "string", "minLength": 1}}}
                },
                "allowIps": {"type": "array", "items": {"type": "string"}},
                "rateLimit": {
                  "type": "object", "additionalProperties": false, "required": ["requests", "perSeconds"],
                  "properties": {
                    "requests":   {"type": "integer", "minimum": 1},
                    "perSeconds": {"type": "number", "exclusiveMinimum": 0}
                  }
                },
                "maxAttachmentBytes": {"type": "integer", "minimum": 0}
              }
            },
            "steps": {
              "type": "array", "minItems": 1,
              "items": {
                "type": "object",
                "required": ["id", "component", "function"],
                "additionalProperties": false,
                "properties": {
                  "id":         {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
                  "component":  {"type": "string", "minLength": 1},
                  "function":   {"type": "string", "minLength": 1},
                  "config":     {"type": "object"},
                  "credential": {"type": "string", "minLength": 1},
                  "timeoutMs":  {"type": "integer", "minimum": 1, "maximum": 86400000},
                  "next": {"anyOf": [
                    {"type": "string"},
                    {"type": "null"},
                    {"type": "object", "additionalProperties": {"type": "string"}}
                  ]}
                }
              }
            }
          }
        })");
        s["properties"]["retry"] = config::retryPolicySchema();
        return config::ConfigSchema::compile(s);
    }();
    return schema;
}

std::string joinNames(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out.empty() ? "none" : out;
}

class FlowBuilder {
public:
    FlowBuilder(const plugin::ComponentRegistry& components,
                const config::CredentialStore& credentials, std::string file, ConfigErrors& errors)
        : components_(components), credentials_(credentials), file_(std::move(file)),
          errors_(errors) {}

    std::shared_ptr<Flow> build(const json& doc, const config::RetryPolicy& defaultRetry) {
        auto flow = std::make_shared<Flow>();
        flow->id = doc.at("id");
        flow->file = file_;
        flow->description = doc.value("description", "");
        flow->enabled = doc.value("enabled", true);
        flow->retry = config::retryPolicyFrom(doc.value("retry", json::object()), defaultRetry);
        buildTrigger(doc.value("trigger", json::object()), flow->trigger);

        const json& steps = doc.at("steps");
        std::set<std::string> ids;
        for (std::size_t i = 0; i < steps.size(); ++i) {
            const std::string id = steps[i].at("id");
            if (!ids.insert(id).second) error(stepPointer(i) + "/id", "duplicate step id '" + id + "'");
        }
        for (std::size_t i = 0; i < steps.size(); ++i) {
            StepDef step = buildStep(steps[i], i);
            linkNext(step, steps, i, ids);
            flow->resumable = flow->resumable || step.pausesExecution;
            flow->steps.push_back(std::move(step));
        }
        if (failed_) return nullptr;
        flow->fingerprint = fingerprint(doc);
        return flow;
    }

private:
    // Hex SHA-256 over the document and every credential the flow resolved; the digest
    // (not the secrets) is what the flow keeps. "" if OpenSSL failed: never equal.
    std::string fingerprint(const json& doc) const {
        std::string inputs = doc.dump() + '\n' + usedCredentials_.dump();
        const auto digest = common::sha256(inputs);
        common::wipe(inputs);
        return common::encodeHex(digest.value_or(std::string{}));
    }

    void buildTrigger(const json& doc, WebhookTrigger& trigger) {
        const json response = doc.value("response", json::object());
        trigger.responseMode = response.value("mode", "async");
        trigger.syncTimeout = std::chrono::milliseconds(response.value("timeoutMs", 30000));
        trigger.accepted.status = response.value("status", 202);
        trigger.accepted.headers =
            response.value("headers", std::map<std::string, std::string>{});
        trigger.accepted.body = response.value("body", json());
        if (doc.contains("methods")) trigger.methods = doc.at("methods");

        const json dedupe = doc.value("dedupe", json::object());
        if (dedupe.contains("headers")) {
            trigger.dedupeHeaders.clear();
            for (const auto& h : dedupe.at("headers"))
                trigger.dedupeHeaders.push_back(Poco::toLower(h.get<std::string>()));
        }
        trigger.dedupeWindow = std::chrono::seconds(dedupe.value("windowSeconds", 86400));

        trigger.corsOrigins = doc.value("cors", json::object())
                                  .value("origins", std::vector<std::string>{});
        const json allow = doc.value("allowIps", json::array());
        for (std::size_t i = 0; i < allow.size(); ++i) {
            auto range = common::AddressRange::parse(allow[i].get<std::string>());
            if (!range)
                error("/trigger/allowIps/" + std::to_string(i),
                      "'" + allow[i].get<std::string>() + "' is not an IP address or CIDR range");
            else trigger.allowIps.push_back(*range);
        }
        if (doc.contains("rateLimit"))
            trigger.rateLimit = RateLimit{doc.at("rateLimit").at("requests").get<double>(),
                                          doc.at("rateLimit").at("perSeconds").get<double>()};
        trigger.maxAttachmentBytes = doc.value("maxAttachmentBytes", trigger.maxAttachmentBytes);

        trigger.credentialId = doc.value("credential", "");
        if (trigger.credentialId.empty()) return;
        const auto* credential = credentials_.find(trigger.credentialId);
        if (!credential)
            return error("/trigger/credential", "unknown credential '" + trigger.credentialId + "'");
        if (!auth::isTriggerCredentialType(credential->type))
            return error("/trigger/credential",
                         "credential '" + trigger.credentialId + "' has type '" + credential->type +
                             "'; a webhook trigger takes basic, apikey or hmac");
        const std::size_t before = errors_.size();
        trigger.verifier = auth::makeVerifier(*credential, errors_);
        if (!trigger.verifier || errors_.size() != before) {
            error("/trigger/credential",
                  "credential '" + trigger.credentialId + "' is not usable (see its errors)");
            return;
        }
        trigger.secretFields = trigger.verifier->secretFields();
        usedCredentials_[trigger.credentialId] = credential->data;
    }

    static std::string stepPointer(std::size_t i) { return "/steps/" + std::to_string(i); }

    void error(std::string pointer, std::string reason) {
        errors_.push_back({file_, std::move(pointer), std::move(reason)});
        failed_ = true;
    }

    StepDef buildStep(const json& doc, std::size_t index) {
        const std::string at = stepPointer(index);
        StepDef step;
        step.id = doc.at("id");
        step.component = doc.at("component");
        step.function = doc.at("function");
        step.config = doc.value("config", json::object());
        if (doc.contains("timeoutMs"))
            step.timeout = std::chrono::milliseconds(doc.at("timeoutMs").get<std::int64_t>());

        auto component = components_.find(step.component);
        if (!component) {
            std::vector<std::string> known;
            for (const auto& c : components_.all()) known.push_back(c->manifest.name);
            error(at + "/component",
                  "unknown component '" + step.component + "' (loaded: " + joinNames(known) + ")");
            return step;
        }
        const auto* function = component->function(step.function);
        if (!function) {
            std::vector<std::string> known;
            for (const auto& [name, fn] : component->functions) known.push_back(name);
            error(at + "/function", "component '" + step.component + "' has no function '" +
                                        step.function + "' (has: " + joinNames(known) + ")");
            return step;
        }
        step.pausesExecution = function->spec.pausesExecution;
        step.pure = function->spec.pure;
        const std::size_t before = errors_.size();
        if (config::checkSchema(function->schema, step.config, file_, at + "/config", errors_))
            step.config = function->schema.withDefaults(std::move(step.config));
        else failed_ = true;

        if (!checkCredential(doc, step, *function, at) || errors_.size() != before)
            return step;

        auto created = component->createStep(step.function, step.config);
        if (auto* reason = std::get_if<std::string>(&created)) {
            error(at + "/config", *reason);
            return step;
        }
        step.step = std::get<std::shared_ptr<Step>>(std::move(created));
        return step;
    }

    bool checkCredential(const json& doc, StepDef& step, const plugin::RegisteredFunction& function,
                         const std::string& at) {
        const FunctionSpec& spec = function.spec;
        const std::string id = doc.value("credential", "");
        if (id.empty()) {
            if (spec.credentialType.empty()) return true;
            error(at, "function '" + step.component + "." + step.function +
                          "' needs a credential of type '" + spec.credentialType + "'");
            return false;
        }
        const auto* credential = credentials_.find(id);
        if (!credential) {
            error(at + "/credential", "unknown credential '" + id + "'");
            return false;
        }
        if (credential->type != spec.credentialType) {
            error(at + "/credential", "credential '" + id + "' has type '" + credential->type +
                                          "', function needs '" +
                                          (spec.credentialType.empty() ? std::string("none")
                                                                       : spec.credentialType) +
                                          "'");
            return false;
        }
        if (function.credentialSchema && !fitsCredentialType(*function.credentialSchema, *credential)) {
            error(at + "/credential", "credential '" + id + "' is not a valid '" +
                                          spec.credentialType + "' credential (see its errors)");
            return false;
        }
        step.credential = credential->data;
        usedCredentials_[id] = credential->data;
        return true;
    }

    // The component's schema judges the credential's own fields: "id" and "type" are the
    // engine's, so a schema can say "additionalProperties": false. Errors name the
    // credential's file and field; the values (secrets) are never part of them.
    bool fitsCredentialType(const config::ConfigSchema& schema, const config::Credential& credential) {
        json fields = credential.data;
        fields.erase("id");
        fields.erase("type");
        return config::checkSchema(schema, fields, credential.file, "", errors_);
    }

    void linkNext(StepDef& step, const json& steps, std::size_t index,
                  const std::set<std::string>& ids) {
        const std::string at = stepPointer(index) + "/next";
        const json& doc = steps[index];
        if (!doc.contains("next")) {
            if (index + 1 < steps.size()) step.next["default"] = steps[index + 1].at("id");
            return;
        }
        const json& next = doc.at("next");
        auto link = [&](const std::string& output, const std::string& target,
                        const std::string& pointer) {
            if (!ids.count(target)) error(pointer, "no step with id '" + target + "'");
            else step.next[output] = target;
        };
        if (next.is_string()) link("default", next, at);
        else if (next.is_object())
            for (const auto& [output, target] : next.items())
                link(output, target, at + "/" + config::pointerToken(output));
        checkOutputs(step, next, at);
    }

    // A `next` key that is neither "default" nor an output the function declares (for a
    // router: its configured branches) is a typo that would silently drop messages.
    // Functions that declare no outputs are not checked; neither are refused steps.
    void checkOutputs(const StepDef& step, const json& next, const std::string& at) {
        if (!step.step || !next.is_object()) return;
        const auto component = components_.find(step.component);
        const auto* function = component ? component->function(step.function) : nullptr;
        if (!function) return;
        const auto outputs = plugin::declaredOutputs(function->spec, step.config);
        if (outputs.empty()) return;
        std::vector<std::string> known{std::string(kDefaultOutput)};
        known.insert(known.end(), outputs.begin(), outputs.end());
        for (const auto& [output, target] : next.items())
            if (output != kDefaultOutput && !outputs.count(output))
                error(at + "/" + config::pointerToken(output),
                      "'" + output + "' is not an output of " + step.component + "." +
                          step.function + " (its outputs: " + joinNames(known) + ")");
    }

    const plugin::ComponentRegistry& components_;
    const config::CredentialStore& credentials_;
    std::string file_;
    ConfigErrors& errors_;
    bool failed_ = false;
    json usedCredentials_ = json::object();
};

}  // namespace

FlowLoadResult loadFlows(const fs::path& directory, const plugin::ComponentRegistry& components,
                         const config::CredentialStore& credentials,
                         const config::RetryPolicy& defaultRetry) {
    FlowLoadResult result;
    auto flows = std::make_shared<FlowSet>();
    std::error_code ec;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(directory, ec))
        if (entry.path().extension() == ".json") files.push_back(entry.path());
    if (ec) result.errors.push_back({directory.string(), "", "cannot read flows directory: " + ec.message()});
    std::sort(files.begin(), files.end());

    for (const auto& path : files) {
        const std::string file = path.string();
        auto doc = config::readJsonFile(path, result.errors);
        if (!doc || !config::checkSchema(flowSchema(), *doc, file, "", result.errors)) continue;
        auto flow = FlowBuilder(components, credentials, file, result.errors).build(*doc, defaultRetry);
        if (!flow) continue;
        if (auto existing = flows->find(flow->id)) {
            result.errors.push_back({file, "/id", "flow '" + flow->id + "' is already defined in " +
                                                       existing->file});
            continue;
        }
        flows->add(std::move(flow));
    }
    result.flows = std::move(flows);
    return result;
}

}  // namespace flowgate::flow
