#include "support/test_config.hpp"

#include <fstream>
#include <sstream>

namespace flowgate::test {

using nlohmann::json;

TestConfig::TestConfig(const json& engine) {
    json doc = {{"dataDir", dataDir().string()},
                {"workers", {{"processes", 2}, {"batch", 16}}},
                {"retry", {{"maxAttempts", 3}, {"initialDelayMs", 20}, {"maxDelayMs", 200}}},
                {"http", {{"host", "127.0.0.1"}}}};
    doc.merge_patch(engine);
    writeFile(configDir() / "engine.json", doc.dump(2));
    std::filesystem::create_directories(configDir() / "flows");
}

void TestConfig::addFlow(const json& flow) const {
    writeFile(configDir() / "flows" / (flow.at("id").get<std::string>() + ".json"), flow.dump(2));
}

void TestConfig::addCredential(const json& credential) const {
    writeFile(configDir() / "credentials" / (credential.at("id").get<std::string>() + ".json"),
              credential.dump(2));
}

std::vector<json> jsonLines(const std::filesystem::path& file) {
    std::vector<json> lines;
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
        json parsed = json::parse(line, nullptr, false);
        if (!parsed.is_discarded()) lines.push_back(std::move(parsed));
    }
    return lines;
}

std::set<std::string> requestIdsIn(const std::filesystem::path& file) {
    std::set<std::string> ids;
    for (const auto& line : jsonLines(file)) ids.insert(line.at("requestId").get<std::string>());
    return ids;
}

bool allLogged(const std::set<std::string>& accepted, const std::filesystem::path& file) {
    const auto done = requestIdsIn(file);
    for (const auto& id : accepted)
        if (!done.count(id)) return false;
    return true;
}

std::vector<nlohmann::json> engineLogLines(const std::filesystem::path& log,
                                           const std::string& flowStep) {
    std::vector<nlohmann::json> lines;
    std::istringstream in(readFile(log));
    const std::string marker = flowStep + ": ";
    for (std::string line; std::getline(in, line);) {
        const auto at = line.find(marker);
        if (at == std::string::npos) continue;
        auto parsed = nlohmann::json::parse(line.substr(at + marker.size()), nullptr, false);
        if (!parsed.is_discarded()) lines.push_back(std::move(parsed));
    }
    return lines;
}

}  // namespace flowgate::test
