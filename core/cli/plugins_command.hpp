// `flowgate plugins [--config DIR] [--plugins DIR]... [--json]`: every component with its
// functions, config schemas and credential types, straight from the manifests.
//
// Where it looks: the --plugins directories; else the pluginPath of DIR/engine.json with
// --config; else the plugin directory of the installation the binary belongs to
// (<prefix>/lib/flowgate/plugins beside <prefix>/bin/flowgate).
#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

namespace flowgate::cli {

// `executable`: the running binary (/proc/self/exe), whose installation is the default.
// Returns the exit code: 0, 1 if a plugin was refused or the config is broken (one line
// on `err` for the config), 2 for a bad command line (one line on `err`).
int pluginsCommand(const std::vector<std::string>& args, const std::filesystem::path& executable,
                   std::ostream& out, std::ostream& err);

// <prefix>/lib/flowgate/plugins for the binary <prefix>/bin/flowgate.
std::filesystem::path installedPluginDir(const std::filesystem::path& executable);

}  // namespace flowgate::cli
