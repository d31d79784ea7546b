#include "engine/file_stamps.hpp"

namespace flowgate::cli {

namespace fs = std::filesystem;

FileStamps stampFiles(const fs::path& directory, std::string_view extension) {
    FileStamps stamps;
    std::error_code ec;
    fs::directory_iterator it(directory, ec);
    if (ec) return stamps;
    // increment(ec), not a range-for: the range-for throws when the directory changes.
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const fs::directory_entry& entry = *it;
        if (entry.path().extension() != extension) continue;
        std::error_code fileError;
        if (!entry.is_regular_file(fileError)) continue;
        FileStamp stamp;
        stamp.size = entry.file_size(fileError);
        if (fileError) continue;
        stamp.modified = entry.last_write_time(fileError);
        if (fileError) continue;
        stamps.emplace(entry.path(), stamp);
    }
    return stamps;
}

}  // namespace flowgate::cli
