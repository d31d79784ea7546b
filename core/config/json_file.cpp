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

bool checkSchema(const ConfigSchema& schema, const nlohmann::json& value,
                 const std::string& file, const std::string& pointerPrefix, ConfigErrors& errors) {
    auto violations = schema.validate(value);
    for (auto& v : violations) errors.push_back({file, pointerPrefix + v.pointer, v.reason});
    return violations.empty();
}

}  // namespace flowgate::config
