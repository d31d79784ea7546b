// A file that many threads, and many steps, append whole lines to at once.
#pragma once

#include <string>
#include <string_view>

namespace flowgate::plugins::logger {

class AppendOnlyFile {
public:
    // Opens `path` (relative paths start at the working directory), creating it if needed.
    // Throws std::runtime_error naming the path and the system's reason.
    explicit AppendOnlyFile(std::string path);
    ~AppendOnlyFile();
    AppendOnlyFile(const AppendOnlyFile&) = delete;
    AppendOnlyFile& operator=(const AppendOnlyFile&) = delete;

    // Appends `text` with a single write(2). The file is opened with O_APPEND, so the kernel
    // puts each write whole at the end: lines from concurrent writers never interleave.
    // Thread-safe. Throws std::runtime_error if the write fails or is cut short.
    void append(std::string_view text) const;

private:
    const std::string path_;
    int fd_ = -1;
};

}  // namespace flowgate::plugins::logger
