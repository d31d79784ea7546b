#include "attachments/attachment_store.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flowgate/common/byte_encoding.hpp"
#include "flowgate/common/hmac.hpp"
#include "flowgate/common/utf8.hpp"

namespace flowgate::attachments {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxDisplayName = 255;
constexpr std::size_t kMaxSafeName = 100;
constexpr std::size_t kMaxExecutionId = 128;
constexpr std::size_t kMaxHints = 4096;

bool isSafeChar(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
}

std::string errnoText(int error) { return std::error_code(error, std::generic_category()).message(); }

// Valid UTF-8 without control characters, at most `limit` bytes (cut at a character
// boundary); invalid bytes become '_'.
std::string cleanText(std::string_view text, std::size_t limit) {
    std::string out;
    out.reserve(std::min(text.size(), limit));
    for (std::size_t i = 0; i < text.size();) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        std::size_t length = common::utf8SequenceLength(text, i);
        std::string_view piece = text.substr(i, length);
        if (length == 0) {
            piece = "_";
            length = 1;
        } else if (c < 0x20 || c == 0x7F) {
            piece = {};
        }
        if (out.size() + piece.size() > limit) break;
        out += piece;
        i += length;
    }
    return out;
}

void fsyncPath(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw StoreError("cannot open " + path.string() + ": " + errnoText(errno));
    const int rc = ::fsync(fd);
    const int error = errno;
    ::close(fd);
    if (rc != 0) throw StoreError("cannot fsync " + path.string() + ": " + errnoText(error));
}

std::string sha256Hex(std::string_view bytes) {
    auto digest = common::sha256(bytes);
    if (!digest) throw StoreError("SHA-256 failed");
    return common::encodeHex(*digest);
}

// Writes all of `bytes` to a new file and fsyncs it; on failure removes the file.
void writeDurably(int fd, const fs::path& file, std::string_view bytes) {
    auto fail = [&](const char* what, int error) {
        ::close(fd);
        ::unlink(file.c_str());
        throw StoreError(std::string("cannot ") + what + " " + file.string() + ": " + errnoText(error));
    };
    std::size_t written = 0;
    while (written < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("write", errno);
        }
        written += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) fail("fsync", errno);
    if (::close(fd) != 0) {
        const int error = errno;
        ::unlink(file.c_str());
        throw StoreError("cannot close " + file.string() + ": " + errnoText(error));
    }
}

}  // namespace

fs::path AttachmentStore::rootFor(const fs::path& dataDir) { return dataDir / "attachments"; }

AttachmentStore::AttachmentStore(fs::path root) : root_(std::move(root)) {
    if (root_.empty()) throw StoreError("AttachmentStore: root is empty");
    std::error_code ec;
    fs::create_directories(root_, ec);
    if (ec || !fs::is_directory(root_))
        throw StoreError("cannot create attachment directory " + root_.string() + ": " +
                         (ec ? ec.message() : "not a directory"));
}

bool AttachmentStore::isValidExecutionId(std::string_view id) {
    if (id.empty() || id.size() > kMaxExecutionId || id.front() == '.') return false;
    for (unsigned char c : id)
        if (!isSafeChar(c)) return false;
    return true;
}

std::string AttachmentStore::displayName(std::string_view name) {
    // Browsers (and old Windows ones in particular) may send a whole path: keep its last part.
    const std::size_t slash = name.find_last_of("/\\");
    if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
    std::string clean = cleanText(name, kMaxDisplayName);
    if (clean.empty() || clean == "." || clean == "..") return "body";
    return clean;
}

std::string AttachmentStore::safeFileName(std::string_view name) {
    std::string safe;
    for (unsigned char c : name) {
        if (safe.size() == kMaxSafeName) break;
        if (safe.empty() && c == '.') continue;  // no hidden files, no "..", no "."
        safe += isSafeChar(c) ? static_cast<char>(c) : '_';
    }
    return safe.empty() ? "body" : safe;
}

unsigned AttachmentStore::nextIndexHint(const std::string& executionId) {
    std::lock_guard lock(hintMutex_);
    auto it = nextIndex_.find(executionId);
    return it == nextIndex_.end() ? 0 : it->second;
}

void AttachmentStore::rememberIndex(const std::string& executionId, unsigned next) {
    std::lock_guard lock(hintMutex_);
    if (nextIndex_.size() >= kMaxHints && !nextIndex_.count(executionId)) nextIndex_.clear();
    unsigned& slot = nextIndex_[executionId];
    if (next > slot) slot = next;
}

Attachment AttachmentStore::put(std::string_view executionId, std::string name,
                                std::string contentType, std::string_view bytes) {
    if (!isValidExecutionId(executionId))
        throw std::invalid_argument("AttachmentStore: invalid execution id");
    const std::string id(executionId);

    Attachment attachment;
    attachment.name = displayName(name);
    attachment.contentType = cleanText(contentType, kMaxDisplayName);
    if (attachment.contentType.empty()) attachment.contentType = "application/octet-stream";
    attachment.size = bytes.size();
    attachment.sha256 = sha256Hex(bytes);
    const std::string safe = safeFileName(attachment.name);

    const fs::path dir = root_ / id;
    bool createdDir = false;
    if (::mkdir(dir.c_str(), 0750) == 0) {
        createdDir = true;
    } else if (errno != EEXIST) {
        throw StoreError("cannot create " + dir.string() + ": " + errnoText(errno));
    }

    try {
        unsigned index = nextIndexHint(id);
        for (;; ++index) {
            const std::string fileName = std::to_string(index) + "-" + safe;
            const fs::path file = dir / fileName;
            const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
            if (fd < 0) {
                if (errno == EEXIST) continue;
                throw StoreError("cannot create " + file.string() + ": " + errnoText(errno));
            }
            writeDurably(fd, file, bytes);
            attachment.ref = id + "/" + fileName;
            rememberIndex(id, index + 1);
            break;
        }
        // The new directory entry (and a new execution directory's own entry) must be on
        // disk too, or a crash could leave a queued message whose file is gone.
        fsyncPath(dir);
        if (createdDir) fsyncPath(root_);
    } catch (...) {
        if (!attachment.ref.empty()) ::unlink((root_ / attachment.ref).c_str());
        if (createdDir) ::rmdir(dir.c_str());  // fails harmlessly if another put filled it
        throw;
    }
    return attachment;
}

fs::path AttachmentStore::pathOf(const Attachment& attachment) const {
    const std::string_view ref = attachment.ref;
    const std::size_t slash = ref.find('/');
    if (slash == std::string_view::npos)
        throw std::invalid_argument("attachment ref has no execution part");
    const std::string_view id = ref.substr(0, slash), file = ref.substr(slash + 1);
    // The file part obeys the execution-id rule too (safe characters, no leading dot), which
    // excludes "..", "/" and absolute paths.
    if (!isValidExecutionId(id) || file.size() > kMaxSafeName + 16 || file.empty() ||
        file.front() == '.')
        throw std::invalid_argument("attachment ref is not inside the store");
    for (unsigned char c : file)
        if (!isSafeChar(c)) throw std::invalid_argument("attachment ref is not inside the store");
    return root_ / std::string(id) / std::string(file);
}

std::string AttachmentStore::read(const Attachment& attachment, std::string_view executionId) const {
    const fs::path file = pathOf(attachment);
    if (!attachment.ref.starts_with(std::string(executionId) + "/"))
        throw std::invalid_argument("attachment '" + attachment.name +
                                    "' does not belong to this execution");
    std::ifstream in(file, std::ios::binary);
    if (!in) throw StoreError("attachment '" + attachment.name + "' is not stored (any more)");
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw StoreError("cannot read attachment '" + attachment.name + "'");
    if (bytes.size() != attachment.size || sha256Hex(bytes) != attachment.sha256)
        throw StoreError("attachment '" + attachment.name + "' does not hold the bytes described");
    return bytes;
}

void AttachmentStore::removeExecution(std::string_view executionId) {
    if (!isValidExecutionId(executionId))
        throw std::invalid_argument("AttachmentStore: invalid execution id");
    const std::string id(executionId);
    std::error_code ec;
    fs::remove_all(root_ / id, ec);
    {
        std::lock_guard lock(hintMutex_);
        nextIndex_.erase(id);
    }
    if (ec) throw StoreError("cannot remove attachments of " + id + ": " + ec.message());
}

std::uint64_t AttachmentStore::bytesUsed() const {
    std::uint64_t total = 0;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(root_, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code sizeError;
        if (it->is_regular_file(sizeError)) {
            const auto size = it->file_size(sizeError);
            if (!sizeError) total += size;
        }
    }
    return total;
}

}  // namespace flowgate::attachments
