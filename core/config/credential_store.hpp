// Credentials live apart from flows: one JSON file each in the credentials directory,
//   {"id": "my-twitter", "type": "oauth1", "consumerKey": {"env": "X_KEY"}, ...}
// Secret references are resolved when the store is loaded; a credential is never logged.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "config/config_error.hpp"

namespace flowgate::config {

struct Credential {
    std::string id;
    std::string type;
    nlohmann::json data;  // the whole document, secrets resolved
    std::string file;
};

// Immutable after load; safe to read from any thread.
class CredentialStore {
public:
    // Loads every *.json in `directory` (a missing directory is an empty store). Each
    // broken file or duplicate id appends errors and is left out.
    static CredentialStore load(const std::filesystem::path& directory, ConfigErrors& errors);

    const Credential* find(std::string_view id) const;

private:
    std::map<std::string, Credential, std::less<>> credentials_;
};

}  // namespace flowgate::config
