// `flowgate plugins`: every component with its functions, config schema and credential
// type, straight from the manifests.
#pragma once

#include <ostream>

#include "engine/engine.hpp"

namespace flowgate::cli {

// Prints the components of the plugin path; returns the process exit code (1 if a
// plugin was refused).
int pluginsCommand(const EngineOptions& options, std::ostream& out);

}  // namespace flowgate::cli
