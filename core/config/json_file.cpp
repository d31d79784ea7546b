#include "config/json_file.hpp"

#include <fstream>
#include <sstream>

namespace flowgate::config {

std::optional<nlohmann::json> readJsonFile(const std::filesystem::path& file,
                                           ConfigErrors& errors) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        errors.push_back({file.string(), "", "cannot read the file"});
        return std::nullopt;
    }
    std::stringstream text;
    text << in.rdbuf();
    try {
        return nlohmann::json::parse(text.str());
    } catch (const nlohmann::json::parse_error& e) {
        errors.push_back({file.string(), "", std::string("not valid JSON: ") + e.what()});
        return std::nullopt;
    }
}

bool checkSchema(const plugin::ConfigSchema& schema, const nlohmann::json& value,
                 const std::string& file, const std::string& pointerPrefix, ConfigErrors& errors) {
    auto violations = schema.validate(value);
    for (auto& v : violations) errors.push_back({file, pointerPrefix + v.pointer, v.reason});
    return violations.empty();
}

std::string pointerToken(std::string_view token) {
    std::string out;
    for (char c : token) {
        if (c == '~') out += "~0";
        else if (c == '/') out += "~1";
        else out += c;
    }
    return out;
}

}  // namespace flowgate::config
