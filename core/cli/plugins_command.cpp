#include "cli/plugins_command.hpp"

#include <optional>
#include <system_error>
#include <variant>

#include <nlohmann/json.hpp>

#include "config/engine_config.hpp"
#include "plugin/component_registry.hpp"

namespace flowgate::cli {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct PluginsOptions {
    std::optional<fs::path> configDir;
    std::vector<fs::path> pluginDirs;
    bool json = false;
};

// A refusal of the command line or the config: one line, as every CLI error.
struct Refusal {
    int exitCode;
    std::string line;
};

std::variant<PluginsOptions, Refusal> parse(const std::vector<std::string>& args) {
    PluginsOptions options;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--json") {
            options.json = true;
            continue;
        }
        if (arg != "--config" && arg != "--plugins")
            return Refusal{2, "unknown option '" + arg + "' for plugins (see 'flowgate help')"};
        if (i + 1 >= args.size()) return Refusal{2, "option " + arg + " needs a value"};
        if (arg == "--config") options.configDir = args[++i];
        else options.pluginDirs.emplace_back(args[++i]);
    }
    return options;
}

std::variant<std::vector<fs::path>, Refusal> pluginDirs(const PluginsOptions& options,
                                                        const fs::path& executable) {
    if (options.configDir) {
        std::error_code ec;
        if (!fs::is_directory(*options.configDir, ec))
            return Refusal{1, "--config " + options.configDir->string() + ": no such directory"};
        config::ConfigErrors errors;
        auto engine = config::loadEngineConfig(*options.configDir, errors);
        if (!errors.empty()) {
            std::string line = errors.front().toString();
            if (errors.size() > 1) line += " (and " + std::to_string(errors.size() - 1) + " more)";
            return Refusal{1, line};
        }
        if (options.pluginDirs.empty()) return engine.pluginPath;
    }
    if (!options.pluginDirs.empty()) return options.pluginDirs;
    const fs::path installed = installedPluginDir(executable);
    std::error_code ec;
    if (!fs::is_directory(installed, ec))
        return Refusal{1, "no plugin directory at " + installed.string() +
                              " (not an installed flowgate): give --plugins DIR or --config DIR"};
    return std::vector<fs::path>{installed};
}

json describe(const plugin::RegisteredComponent& component) {
    const Manifest& m = component.manifest;
    json functions = json::array();
    for (const auto& fn : m.functions)
        functions.push_back({{"name", fn.name},
                             {"description", fn.description},
                             {"configSchema", fn.configSchema},
                             {"credentialType", fn.credentialType},
                             {"outputs", fn.outputs},
                             {"pausesExecution", fn.pausesExecution},
                             {"pure", fn.pure}});
    json credentialTypes = json::array();
    for (const auto& type : m.credentialTypes)
        credentialTypes.push_back(
            {{"name", type.name}, {"description", type.description}, {"schema", type.schema}});
    return {{"name", m.name},
            {"version", m.version},
            {"description", m.description},
            {"file", component.file.string()},
            {"functions", std::move(functions)},
            {"credentialTypes", std::move(credentialTypes)}};
}

void printText(const plugin::RegisteredComponent& component, std::ostream& out) {
    const Manifest& m = component.manifest;
    out << m.name << ' ' << m.version << "  (" << component.file.string() << ")\n";
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
        if (fn.pure) out << "    pure: no effect outside the messages it emits\n";
        out << "    config schema: " << fn.configSchema.dump() << '\n';
    }
    for (const auto& type : m.credentialTypes) {
        out << "  credential type " << type.name << '\n';
        if (!type.description.empty()) out << "    " << type.description << '\n';
        out << "    schema: " << type.schema.dump() << '\n';
    }
}

}  // namespace

fs::path installedPluginDir(const fs::path& executable) {
    return executable.parent_path().parent_path() / "lib" / "flowgate" / "plugins";
}

int pluginsCommand(const std::vector<std::string>& args, const fs::path& executable,
                   std::ostream& out, std::ostream& err) {
    auto parsed = parse(args);
    if (auto* refusal = std::get_if<Refusal>(&parsed)) {
        err << "flowgate: " << refusal->line << '\n';
        return refusal->exitCode;
    }
    const auto& options = std::get<PluginsOptions>(parsed);
    auto dirs = pluginDirs(options, executable);
    if (auto* refusal = std::get_if<Refusal>(&dirs)) {
        err << "flowgate: " << refusal->line << '\n';
        return refusal->exitCode;
    }

    plugin::ComponentRegistry registry;
    std::vector<std::string> refused;
    for (const auto& dir : std::get<std::vector<fs::path>>(dirs))
        for (auto& error : registry.loadDirectory(dir)) refused.push_back(std::move(error));

    if (options.json) {
        json components = json::array();
        for (const auto& component : registry.all()) components.push_back(describe(*component));
        out << json{{"components", std::move(components)}, {"refused", refused}}.dump(2) << '\n';
    } else {
        for (const auto& component : registry.all()) printText(*component, out);
        for (const auto& error : refused) out << error << '\n';
    }
    return refused.empty() ? 0 : 1;
}

}  // namespace flowgate::cli
