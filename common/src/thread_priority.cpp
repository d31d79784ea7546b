#include "flowgate/common/thread_priority.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace flowgate::common {

void runThisThreadNicer(int steps) {
    if (steps <= 0) return;
    // PRIO_PROCESS with a thread id addresses that one thread on Linux (setpriority(2), BUGS).
    const auto thread = static_cast<id_t>(::syscall(SYS_gettid));
    errno = 0;
    const int nice = ::getpriority(PRIO_PROCESS, thread);
    if (errno != 0) return;
    ::setpriority(PRIO_PROCESS, thread, std::min(19, nice + steps));
}

}  // namespace flowgate::common
