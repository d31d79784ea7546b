#include "engine/loaded_config.hpp"

#include <Poco/Logger.h>

#include "flow/flow_loader.hpp"

namespace flowgate::cli {

namespace fs = std::filesystem;

std::unique_ptr<LoadedConfig> loadConfig(const EngineOptions& options) {
    auto loaded = std::make_unique<LoadedConfig>();
    loaded->engine = options.engineDocument
                         ? config::engineConfigFrom(options.configDir, *options.engineDocument,
                                                    loaded->engineErrors)
                         : config::loadEngineConfig(options.configDir, loaded->engineErrors);
    auto& engine = loaded->engine;
    if (options.port) engine.http.port = *options.port;
    if (options.adminPort) engine.admin.port = *options.adminPort;
    if (options.logFormat) engine.logFormat = *options.logFormat;
    if (options.dataDir) engine.dataDir = fs::absolute(*options.dataDir);
    if (!options.pluginDirs.empty()) {
        engine.pluginPath.clear();
        for (const auto& dir : options.pluginDirs) engine.pluginPath.push_back(fs::absolute(dir));
    }
    for (const auto& dir : engine.pluginPath)
        for (auto& error : loaded->components.loadDirectory(dir))
            loaded->pluginErrors.push_back(std::move(error));
    loaded->credentials = config::CredentialStore::load(engine.credentialsDir, loaded->errors);
    auto flows =
        flow::loadFlows(engine.flowsDir, loaded->components, loaded->credentials, engine.retry);
    loaded->flows = std::move(flows.flows);
    for (auto& error : flows.errors) loaded->errors.push_back(std::move(error));
    return loaded;
}

void logLoaded(const LoadedConfig& loaded) {
    auto& logger = Poco::Logger::get("flowgate");
    for (const auto& error : loaded.pluginErrors) logger.error(error);
    for (const auto& error : loaded.engineErrors) logger.error(error.toString());
    for (const auto& error : loaded.errors) logger.error(error.toString());
    for (const auto& c : loaded.components.all())
        logger.information("component %s %s from %s", c->manifest.name, c->manifest.version,
                           c->file.string());
}

}  // namespace flowgate::cli
