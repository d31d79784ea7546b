#include "auth/credential_schemas.hpp"

namespace flowgate::auth {

namespace {

// "id" and "type" are checked by the credential store; "description" is for people.
// Header names are RFC 9110 tokens.
constexpr const char* kBasic = R"({
  "type": "object",
  "required": ["users"],
  "additionalProperties": false,
  "properties": {
    "id": {"type": "string"}, "type": {"type": "string"}, "description": {"type": "string"},
    "users": {
      "type": "array", "minItems": 1,
      "items": {
        "type": "object",
        "required": ["username", "password"],
        "additionalProperties": false,
        "properties": {
          "username": {"type": "string", "minLength": 1, "pattern": "^[^:]*$"},
          "password": {"type": "string", "minLength": 1}
        }
      }
    }
  }
})";

constexpr const char* kApiKey = R"({
  "type": "object",
  "required": ["keys"],
  "additionalProperties": false,
  "properties": {
    "id": {"type": "string"}, "type": {"type": "string"}, "description": {"type": "string"},
    "header": {"type": "string", "pattern": "^[-!#$%&'*+.^_`|~0-9A-Za-z]+$",
               "default": "x-api-key"},
    "queryParameter": {"type": "string", "minLength": 1},
    "keys": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}}
  }
})";

constexpr const char* kHmac = R"({
  "type": "object",
  "required": ["secrets"],
  "additionalProperties": false,
  "properties": {
    "id": {"type": "string"}, "type": {"type": "string"}, "description": {"type": "string"},
    "algorithm": {"enum": ["sha1", "sha256", "sha512"], "default": "sha512"},
    "header": {"type": "string", "pattern": "^[-!#$%&'*+.^_`|~0-9A-Za-z]+$",
               "default": "x-eio-signature"},
    "encoding": {"enum": ["hex", "base64"], "default": "hex"},
    "prefix": {"type": "string", "default": ""},
    "secrets": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}}
  }
})";

constexpr const char* kHmacPreset = R"({
  "type": "object",
  "required": ["preset", "secrets"],
  "additionalProperties": false,
  "properties": {
    "id": {"type": "string"}, "type": {"type": "string"}, "description": {"type": "string"},
    "preset": {"enum": ["github", "stripe", "slack", "shopify", "standard-webhooks", "twilio"]},
    "secrets": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
    "toleranceSeconds": {"type": "integer", "minimum": 1, "maximum": 86400}
  }
})";

config::ConfigSchema compile(const char* text) {
    return config::ConfigSchema::compile(nlohmann::json::parse(text));
}

}  // namespace

const config::ConfigSchema& basicCredentialSchema() {
    static const config::ConfigSchema schema = compile(kBasic);
    return schema;
}

const config::ConfigSchema& apiKeyCredentialSchema() {
    static const config::ConfigSchema schema = compile(kApiKey);
    return schema;
}

const config::ConfigSchema& hmacCredentialSchema() {
    static const config::ConfigSchema schema = compile(kHmac);
    return schema;
}

const config::ConfigSchema& hmacPresetCredentialSchema() {
    static const config::ConfigSchema schema = compile(kHmacPreset);
    return schema;
}

}  // namespace flowgate::auth
