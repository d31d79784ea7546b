// Background threads give way to the ones a caller waits on. Linux keeps a nice value per
// thread, so one thread of a process can run nicer than the others.
#pragma once

namespace flowgate::common {

// Makes the calling thread `steps` nicer than it is now (at most nice 19); threads it starts
// later inherit that. Raising the nice value needs no privilege; if the system refuses
// anyway, the thread keeps its priority, which changes only how fast it runs.
void runThisThreadNicer(int steps);

}  // namespace flowgate::common
