// A file that many threads, and many steps, append whole lines to at once.
#pragma once

#include <atomic>
#include <cstdint>
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

    // Bytes after which append() starts the kernel writing them to the disk (see
    // append_only_file.cpp).
    static constexpr std::uint64_t kWritebackEvery = 1 << 20;

private:
    void startWriteback() const;

    const std::string path_;
    int fd_ = -1;
    mutable std::atomic<std::uint64_t> appended_{0};
};

}  // namespace flowgate::plugins::logger
