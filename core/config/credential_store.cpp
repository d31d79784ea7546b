#include "config/credential_store.hpp"

#include <algorithm>
#include <vector>

#include "config/json_file.hpp"
#include "config/secret_ref.hpp"
#include "config/config_schema.hpp"

namespace flowgate::config {

namespace fs = std::filesystem;

namespace {

const ConfigSchema& credentialSchema() {
    static const ConfigSchema schema = ConfigSchema::compile(nlohmann::json::parse(R"({
      "type": "object",
      "required": ["id", "type"],
      "properties": {
        "id":   {"type": "string", "pattern": "^[A-Za-z0-9_.-]+$"},
        "type": {"type": "string", "minLength": 1}
      }
    })"));
    return schema;
}

}  // namespace

CredentialStore CredentialStore::load(const fs::path& directory, ConfigErrors& errors) {
    CredentialStore store;
    std::error_code ec;
    if (!fs::is_directory(directory, ec)) return store;
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(directory, ec))
        if (entry.path().extension() == ".json") files.push_back(entry.path());
    std::sort(files.begin(), files.end());

    for (const auto& path : files) {
        const std::string file = path.string();
        auto doc = readJsonFile(path, errors);
        if (!doc || !checkSchema(credentialSchema(), *doc, file, "", errors)) continue;
        const std::size_t before = errors.size();
        resolveSecretRefs(*doc, path.parent_path(), file, "", errors);
        if (errors.size() != before) continue;

        Credential credential{doc->at("id"), doc->at("type"), std::move(*doc), file};
        auto existing = store.credentials_.find(credential.id);
        if (existing != store.credentials_.end()) {
            errors.push_back({file, "/id",
                              "credential '" + credential.id + "' is already defined in " +
                                  existing->second.file});
            continue;
        }
        store.credentials_.emplace(credential.id, std::move(credential));
    }
    return store;
}

const Credential* CredentialStore::find(std::string_view id) const {
    auto it = credentials_.find(id);
    return it == credentials_.end() ? nullptr : &it->second;
}

}  // namespace flowgate::config
