// `flowgate run`: the supervisor. Starts the intake process (`flowgate _intake`, which
// starts and supervises the workers), forwards SIGTERM/SIGINT/SIGHUP to it, and starts
// it again if it dies of a signal. Runs no other code of the engine, so nothing a plugin
// or a request does can take it down.
#pragma once

#include <string>
#include <vector>

namespace flowgate::cli {

// `intakeArgs`: the intake's command line after the executable. Returns the exit status
// of `flowgate run`: the intake's own when it exits by itself (1: it could not start),
// 0 after a stop by signal.
int superviseIntake(const std::vector<std::string>& intakeArgs);

}  // namespace flowgate::cli
