#include "cli/plugins_command.hpp"

#include "config/engine_config.hpp"
#include "plugin/component_registry.hpp"

namespace flowgate::cli {

int pluginsCommand(const EngineOptions& options, std::ostream& out) {
    config::ConfigErrors errors;
    auto engine = config::loadEngineConfig(options.configDir, errors);
    const auto& dirs = options.pluginDirs.empty() ? engine.pluginPath : options.pluginDirs;
    plugin::ComponentRegistry registry;
    std::vector<std::string> refused;
    for (const auto& dir : dirs)
        for (auto& error : registry.loadDirectory(dir)) refused.push_back(std::move(error));

    for (const auto& component : registry.all()) {
        const auto& m = component->manifest;
        out << m.name << ' ' << m.version << "  (" << component->file.string() << ")\n";
        if (!m.description.empty()) out << "  " << m.description << '\n';
        for (const auto& fn : m.functions) {
            out << "  " << m.name << '.' << fn.name;
            if (!fn.credentialType.empty()) out << "  [credential: " << fn.credentialType << ']';
            out << '\n';
            if (!fn.description.empty()) out << "    " << fn.description << '\n';
            if (!fn.outputs.empty()) {
                out << "    outputs: default";
                for (const auto& output : fn.outputs) out << ", " << output;
                out << '\n';
            }
            if (fn.pausesExecution) out << "    pauses the execution until meta.resumeUrl is called\n";
            out << "    config schema: " << fn.configSchema.dump() << '\n';
        }
    }
    for (const auto& error : errors) out << error.toString() << '\n';
    for (const auto& error : refused) out << error << '\n';
    return refused.empty() && errors.empty() ? 0 : 1;
}

}  // namespace flowgate::cli
