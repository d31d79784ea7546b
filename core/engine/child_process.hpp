// Starting this same binary in another role (fork + exec of /proc/self/exe with a hidden
// subcommand), and describing how a child ended.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace flowgate::cli {

// Starts this executable with `args` (argv[1..]). The child gets SIGKILL if the thread
// that started it ends (PR_SET_PDEATHSIG), so no role outlives its supervisor; it starts
// with no signal blocked and no descriptor but 0, 1 and 2. With `outputFd`, the child's
// stdout and stderr go to it and its inherited stderr (the engine log) is descriptor 3.
// The child runs `niceIncrement` steps nicer than the calling thread (at most 19). With
// `sharedFd`, the child has that descriptor too, as descriptor kSharedFd.
// Throws std::runtime_error.
constexpr int kSharedFd = 4;
pid_t spawnSelf(const std::vector<std::string>& args, int outputFd = -1, int niceIncrement = 0,
                int sharedFd = -1);

// "exited with status 1", "exited on signal 11 (SIGSEGV)": `status` from waitpid.
std::string describeExit(int status);

}  // namespace flowgate::cli
