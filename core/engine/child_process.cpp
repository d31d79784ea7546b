#include "engine/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <stdexcept>

#include "flowgate/common/thread_priority.hpp"

namespace flowgate::cli {

pid_t spawnSelf(const std::vector<std::string>& args, int outputFd, int niceIncrement,
                int sharedFd) {
    char exe[PATH_MAX];
    const ssize_t length = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (length <= 0) throw std::runtime_error("cannot find this executable (/proc/self/exe)");
    exe[length] = '\0';
    // Everything the child needs is made before fork: between fork and exec only
    // async-signal-safe calls are allowed in a multi-threaded parent.
    std::vector<std::string> argv = {exe};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> pointers;
    for (auto& a : argv) pointers.push_back(a.data());
    pointers.push_back(nullptr);
    const pid_t parent = ::getpid();

    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(std::string("fork failed: ") + ::strerror(errno));
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(1);  // the parent died before prctl
        // Set before exec, so every thread the child starts has it (nothing in it but
        // system calls, as is safe between fork and exec).
        common::runThisThreadNicer(niceIncrement);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        int keep = 3;
        // Copied above every descriptor the dup2 calls below replace first.
        const int shared = sharedFd >= 0 ? ::fcntl(sharedFd, F_DUPFD, 10) : -1;
        if (outputFd >= 0) {
            const int log = ::fcntl(STDERR_FILENO, F_DUPFD, 10);
            ::dup2(outputFd, STDOUT_FILENO);
            ::dup2(outputFd, STDERR_FILENO);
            if (log >= 0) ::dup2(log, 3);  // dup2 leaves the copy open across exec
            keep = 4;
        }
        if (shared >= 0) {
            if (keep == 3) ::close(3);  // no log: nothing of the parent's at 3
            ::dup2(shared, kSharedFd);  // the copy is not close-on-exec
            keep = kSharedFd + 1;
        }
        // Only stdin, stdout and stderr (and the log and the shared one) go to the child: an
        // inherited listening socket (Poco does not set FD_CLOEXEC) would keep the webhook
        // port busy after the intake died.
        ::close_range(keep, ~0U, 0);
        ::execv(pointers[0], pointers.data());
        ::_exit(127);
    }
    return pid;
}

std::string describeExit(int status) {
    if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) {
        const int signal = WTERMSIG(status);
        const char* name = ::sigabbrev_np(signal);
        return "exited on signal " + std::to_string(signal) +
               (name ? std::string(" (SIG") + name + ")" : std::string());
    }
    return "ended with wait status " + std::to_string(status);
}

}  // namespace flowgate::cli
