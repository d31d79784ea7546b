// From a trigger credential document to its verifier: which schema, which scheme.
#include <array>
#include <stdexcept>

#include "auth/credential_schemas.hpp"
#include "auth/signature_presets.hpp"
#include "auth/verifiers.hpp"

namespace flowgate::auth {

namespace {

using nlohmann::json;

// valijson says only "Failed to match against any enum values."; these are the allowed
// values of every enum in the credential schemas (none of them is a secret).
struct EnumField {
    std::string_view pointer;
    std::string_view allowed;
};
constexpr std::array kEnumFields{
    EnumField{"/preset", "github, stripe, slack, shopify, standard-webhooks, twilio"},
    EnumField{"/algorithm", "sha1, sha256, sha512"},
    EnumField{"/encoding", "hex, base64"},
};

bool checkCredentialSchema(const config::ConfigSchema& schema, const config::Credential& credential,
                           config::ConfigErrors& errors) {
    auto violations = schema.validate(credential.data);
    for (auto& v : violations) {
        for (const auto& field : kEnumFields) {
            if (v.pointer != field.pointer ||
                !v.reason.starts_with("Failed to match against any enum"))
                continue;
            const json& value = credential.data.at(json::json_pointer(v.pointer));
            v.reason = (value.is_string() && value.get_ref<const std::string&>().size() <= 64
                            ? value.dump()
                            : std::string("the value")) +
                       " is not one of: " + std::string(field.allowed);
        }
        errors.push_back({credential.file, v.pointer, v.reason});
    }
    return violations.empty();
}

std::vector<std::string> strings(const json& array) {
    std::vector<std::string> out;
    for (const auto& item : array) out.push_back(item.get<std::string>());
    return out;
}

std::unique_ptr<const Verifier> buildBasic(const config::Credential& credential,
                                           config::ConfigErrors& errors) {
    if (!checkCredentialSchema(basicCredentialSchema(), credential, errors)) return nullptr;
    std::vector<BasicUser> users;
    for (const auto& user : credential.data.at("users"))
        users.push_back(
            {user.at("username").get<std::string>(), user.at("password").get<std::string>()});
    return makeBasicAuthVerifier(std::move(users));
}

std::unique_ptr<const Verifier> buildApiKey(const config::Credential& credential,
                                            config::ConfigErrors& errors) {
    if (!checkCredentialSchema(apiKeyCredentialSchema(), credential, errors)) return nullptr;
    const json& doc = credential.data;
    return makeApiKeyVerifier({.header = doc.value("header", "x-api-key"),
                               .queryParameter = doc.value("queryParameter", ""),
                               .keys = strings(doc.at("keys"))});
}

std::unique_ptr<const Verifier> buildHmac(const config::Credential& credential,
                                          config::ConfigErrors& errors) {
    const json& doc = credential.data;
    if (!doc.contains("preset")) {
        if (!checkCredentialSchema(hmacCredentialSchema(), credential, errors)) return nullptr;
        return makeBodySignatureVerifier(
            {.algorithm = *parseHmacAlgorithm(doc.value("algorithm", "sha512")),
             .header = doc.value("header", "x-eio-signature"),
             .encoding = doc.value("encoding", "hex") == "base64" ? SignatureEncoding::base64
                                                                  : SignatureEncoding::hex,
             .prefix = doc.value("prefix", ""),
             .secrets = strings(doc.at("secrets")),
             .alsoSecretHeaders = {}});
    }

    if (!checkCredentialSchema(hmacPresetCredentialSchema(), credential, errors)) return nullptr;
    const std::string name = doc.at("preset").get<std::string>();
    const SignaturePreset preset = *findSignaturePreset(name);
    std::chrono::seconds tolerance = kDefaultTimestampTolerance;
    if (doc.contains("toleranceSeconds")) {
        if (!signsTimestamp(preset)) {
            errors.push_back({credential.file, "/toleranceSeconds",
                              "preset '" + name +
                                  "' signs no timestamp; toleranceSeconds "
                                  "applies to stripe, slack and standard-webhooks"});
            return nullptr;
        }
        tolerance = std::chrono::seconds(doc.at("toleranceSeconds").get<std::int64_t>());
    }
    return makePresetVerifier(preset, strings(doc.at("secrets")), tolerance, credential.file,
                              errors);
}

}  // namespace

bool isTriggerCredentialType(std::string_view type) {
    return type == "basic" || type == "apikey" || type == "hmac";
}

std::unique_ptr<const Verifier> makeVerifier(const config::Credential& credential,
                                             config::ConfigErrors& errors) {
    try {
        if (credential.type == "basic") return buildBasic(credential, errors);
        if (credential.type == "apikey") return buildApiKey(credential, errors);
        if (credential.type == "hmac") return buildHmac(credential, errors);
    } catch (const std::exception& e) {
        // Our own messages and OpenSSL's setup failures: none carries a secret.
        errors.push_back(
            {credential.file, "", std::string("cannot set up webhook verification: ") + e.what()});
        return nullptr;
    }
    errors.push_back({credential.file, "/type",
                      "credential type '" + credential.type +
                          "' cannot authenticate a webhook; expected basic, apikey or hmac"});
    return nullptr;
}

std::vector<std::string> secretHeaders(const config::Credential& credential) {
    config::ConfigErrors ignored;
    auto verifier = makeVerifier(credential, ignored);
    return verifier ? verifier->secretFields().headers : std::vector<std::string>{};
}

}  // namespace flowgate::auth
