// A config directory for one end-to-end test: engine.json, flows and credentials in a
// temp directory, with the engine's data and log beside them.
#pragma once

#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "support/temp_dir.hpp"

namespace flowgate::test {

class TestConfig {
public:
    // engine.json gets `engine` merged over test defaults: data in this directory,
    // fast retries, two workers.
    explicit TestConfig(const nlohmann::json& engine = nlohmann::json::object());

    std::filesystem::path configDir() const { return dir_ / "config"; }
    std::filesystem::path dataDir() const { return dir_ / "data"; }
    std::filesystem::path logFile() const { return dir_ / "engine.log"; }
    // A file under this test's directory (for logger output, etc.).
    std::filesystem::path file(const std::string& name) const { return dir_ / name; }

    void addFlow(const nlohmann::json& flow) const;
    void addCredential(const nlohmann::json& credential) const;

private:
    TempDir dir_;
};

// Lines of a file that parse as JSON (a logger's output); a missing file has none.
std::vector<nlohmann::json> jsonLines(const std::filesystem::path& file);

// The requestIds of the lines a logger step wrote to `file`.
std::set<std::string> requestIdsIn(const std::filesystem::path& file);

// True if every request of `accepted` has a line in the logger file `file`.
bool allLogged(const std::set<std::string>& accepted, const std::filesystem::path& file);

// The JSON lines the logger step `flowStep` ("flow/step") wrote to an engine log.
std::vector<nlohmann::json> engineLogLines(const std::filesystem::path& log,
                                           const std::string& flowStep);

}  // namespace flowgate::test
