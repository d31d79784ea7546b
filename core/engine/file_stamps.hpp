// A cheap signature of a directory's files (name, size, modification time), compared
// between polls to notice added, changed and removed files without reading them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string_view>

namespace flowgate::cli {

struct FileStamp {
    std::uintmax_t size = 0;
    std::filesystem::file_time_type modified;

    bool operator==(const FileStamp&) const = default;
};

using FileStamps = std::map<std::filesystem::path, FileStamp>;

// Regular files directly in `directory` whose name ends in `extension` (".json").
// A missing or unreadable directory has none; a file that vanishes while it is being
// looked at is left out. Never throws (except std::bad_alloc).
FileStamps stampFiles(const std::filesystem::path& directory, std::string_view extension);

}  // namespace flowgate::cli
