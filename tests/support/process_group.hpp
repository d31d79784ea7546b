// Starting a flowgate command as a child in a process group of its own, reading its
// start banner and reaping it: what EngineProcess and RoleProcess share.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace flowgate::test {

struct StartedChild {
    pid_t pid = -1;
    int stdoutFd = -1;  // the read end of the child's stdout; the caller closes it
};

// execv(args[0], args) in a new process group (so killing -pid ends every process it
// starts), stdout to a pipe, stderr appended to `logFile`.
StartedChild startInOwnGroup(std::vector<std::string> args, const std::filesystem::path& logFile);

// Reads `fd` until `complete(text so far)` holds and no more arrives for 50 ms (the rest
// of a banner printed at once), until EOF (the child exited) or until `timeout`.
std::string readBanner(int fd, std::chrono::seconds timeout,
                       const std::function<bool(const std::string&)>& complete);

// Waits for `pid` to exit; after `timeout` kills its group and reaps it. Returns the exit
// status, or 128+signal.
int waitForExit(pid_t pid, std::chrono::seconds timeout);

}  // namespace flowgate::test
