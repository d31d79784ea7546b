// A worker process (`flowgate _worker`, started by the intake): loads the plugins and
// flows, takes work items from the intake over the worker link and runs their steps, one
// at a time. Stops on SIGTERM (the step running finishes), reloads on SIGHUP, and
// stops by itself when the intake goes away.
#pragma once

#include <filesystem>
#include <string>

#include "engine/engine.hpp"

namespace flowgate::cli {

// Returns the process's exit status. `socket`: the intake's worker socket;
// `publicBaseUrl`: how callers reach the intake (what steps see in engineSettings());
// `logFd`: where the engine log goes (stdout and stderr are for what plugins print);
// `stepSlotFd`: the step slot the intake made for this worker (ipc/step_slot.hpp).
int runWorker(const EngineOptions& options, const std::filesystem::path& socket,
              const std::string& publicBaseUrl, int logFd, int stepSlotFd);

}  // namespace flowgate::cli
