#include "config/secret_ref.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "config/json_file.hpp"

namespace flowgate::config {

namespace {

bool isReference(const nlohmann::json& value, const char* kind) {
    return value.is_object() && value.size() == 1 && value.contains(kind) &&
           value.at(kind).is_string();
}

}  // namespace

void resolveSecretRefs(nlohmann::json& value, const std::filesystem::path& baseDir,
                       const std::string& file, const std::string& pointer, ConfigErrors& errors) {
    if (isReference(value, "env")) {
        const std::string name = value.at("env").get<std::string>();
        const char* secret = std::getenv(name.c_str());
        if (secret == nullptr) {
            errors.push_back({file, pointer, "environment variable " + name + " is not set"});
            return;
        }
        value = std::string(secret);
        return;
    }
    if (isReference(value, "file")) {
        std::filesystem::path path = value.at("file").get<std::string>();
        if (path.is_relative()) path = baseDir / path;
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            errors.push_back({file, pointer, "cannot read secret file " + path.string()});
            return;
        }
        std::stringstream text;
        text << in.rdbuf();
        std::string secret = text.str();
        while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r'))
            secret.pop_back();
        value = std::move(secret);
        return;
    }
    if (value.is_object()) {
        for (auto& [key, child] : value.items())
            resolveSecretRefs(child, baseDir, file, pointer + "/" + pointerToken(key), errors);
    } else if (value.is_array()) {
        for (std::size_t i = 0; i < value.size(); ++i)
            resolveSecretRefs(value[i], baseDir, file, pointer + "/" + std::to_string(i), errors);
    }
}

}  // namespace flowgate::config
