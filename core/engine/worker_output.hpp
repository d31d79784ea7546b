// What a worker process writes to its stdout and stderr outside the engine log: a
// plugin's printf, the C++ runtime's "terminate called ..." before an abort. The intake
// reads it from a pipe and logs each line (logger "flowgate.worker.output"), so in the
// JSON log format every line stays a JSON object and the text is UTF-8-checked.
#pragma once

#include <string>
#include <string_view>

namespace flowgate::cli {

class WorkerOutput {
public:
    // A pipe: the read end stays here (non-blocking), the write end is for the child.
    // Throws std::runtime_error.
    WorkerOutput();
    ~WorkerOutput();
    WorkerOutput(const WorkerOutput&) = delete;
    WorkerOutput& operator=(const WorkerOutput&) = delete;

    int writeEnd() const { return writeFd_; }
    // After the fork: the child holds the write end now; EOF comes when it is gone.
    void closeWriteEnd();

    // Logs the complete lines read so far as worker `number`'s (pid `pid`); with `final`
    // (the child is gone) the rest too. Never blocks.
    void drain(int number, int pid, bool final);

private:
    int readFd_ = -1;
    int writeFd_ = -1;
    std::string partial_;
};

}  // namespace flowgate::cli
