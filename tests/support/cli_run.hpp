// Runs the flowgate binary as a user would from a shell: its exit code and what it printed.
#pragma once

#include <filesystem>
#include <string>
#include "support/build_paths.hpp"

namespace flowgate::test {

struct CliRun {
    int exitCode;
    std::string output;  // stdout and stderr
};

// `flowgate <args>` (args as a shell would split them), waiting for it to exit; the
// binary of the build tree, or `binary` (an installed one).
CliRun runFlowgate(const std::string& args,
                   const std::filesystem::path& binary = flowgate::test::paths::binary);

}  // namespace flowgate::test
