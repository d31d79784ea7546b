// `flowgate executions`, `flowgate dead-letters` and `flowgate flows`: the operator's
// commands, each one call or a few to the running engine's admin API (cli/admin_client.hpp).
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace flowgate::cli {

// True for the commands below.
bool isAdminCommand(const std::string& command);

// Runs `command` with `args`; prints tables (or the API's JSON with --json) on `out`.
// Returns the exit code: 0 done, 1 the API refused or could not be reached (one line on
// `err`), 2 a bad command line.
int adminCommand(const std::string& command, const std::vector<std::string>& args,
                 std::ostream& out, std::ostream& err);

}  // namespace flowgate::cli
