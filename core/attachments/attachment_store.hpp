// Files that came with requests, stored beside the queue and passed through flows by
// reference (flowgate::Attachment::ref), never inline.
//
// Layout under the store root (normally <dataDir>/attachments, see rootFor):
//
//   <root>/<executionId>/<n>-<safe name>
//
// `ref` is the path relative to the root, e.g. "r-2f0c…/0-invoice.pdf". n numbers the
// attachments of one execution from 0 and keeps names unique. <safe name> is the caller's
// file name reduced to [A-Za-z0-9._-] (anything else becomes '_', leading dots are dropped,
// at most 100 bytes, "body" when nothing is left), so a caller-supplied name can never
// leave the execution's directory or name a hidden file.
//
// Durability: put() returns only after the file and its directory entries are fsync'ed,
// so an answer sent after put() (the 202) never refers to bytes a power loss could lose.
//
// Thread-safe: any number of threads (and processes sharing the directory) may call any
// member at once; uniqueness of file names comes from O_EXCL, not from a lock.
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

#include "flowgate/message.hpp"

namespace flowgate::attachments {

// A storage failure (disk full, permissions, I/O error). The request that caused it should
// be answered 503: nothing was kept.
class StoreError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class AttachmentStore {
public:
    // Where the store lives inside an engine data directory: <dataDir>/attachments.
    static std::filesystem::path rootFor(const std::filesystem::path& dataDir);

    // Creates `root` (and its parents) if needed. Throws StoreError if it cannot.
    explicit AttachmentStore(std::filesystem::path root);

    const std::filesystem::path& root() const { return root_; }

    // Writes `bytes` durably as a new attachment of `executionId` and describes it: `name`
    // is the caller's file name made safe for display (directory parts, control characters
    // and invalid UTF-8 removed, at most 255 bytes, "body" if empty), `contentType` as
    // given ("application/octet-stream" if empty), size, lower-hex SHA-256, and `ref`.
    // Throws std::invalid_argument if executionId is not a safe id (see isValidExecutionId),
    // StoreError if the file cannot be written durably (nothing is left behind then).
    Attachment put(std::string_view executionId, std::string name, std::string contentType,
                   std::string_view bytes);

    // The file an attachment's ref names. Throws std::invalid_argument if the ref is not of
    // the form "<executionId>/<file>" with both parts safe, so a forged ref cannot reach
    // outside the root.
    std::filesystem::path pathOf(const Attachment& attachment) const;

    // The bytes of an attachment of `executionId`, checked against its size and sha256.
    // Throws std::invalid_argument if the ref is unsafe or names another execution's file
    // (a step may read only what came with its own execution), StoreError if the file is
    // missing, unreadable, or no longer holds the bytes described.
    std::string read(const Attachment& attachment, std::string_view executionId) const;

    // Deletes every attachment of an execution (no error if there is none). Throws
    // std::invalid_argument for an unsafe id, StoreError if the files cannot be removed.
    void removeExecution(std::string_view executionId);

    // Total size of the stored files. Walks the directory: meant for metrics and admin
    // commands, not for every request.
    std::uint64_t bytesUsed() const;

    // 1-128 characters of [A-Za-z0-9._-], not starting with '.'.
    static bool isValidExecutionId(std::string_view executionId);

    // The two name reductions put() applies, exposed for tests and for the README.
    static std::string displayName(std::string_view name);
    static std::string safeFileName(std::string_view name);

private:
    unsigned nextIndexHint(const std::string& executionId);
    void rememberIndex(const std::string& executionId, unsigned next);

    std::filesystem::path root_;
    // Only a hint to avoid probing taken names; correctness comes from O_EXCL.
    std::mutex hintMutex_;
    std::unordered_map<std::string, unsigned> nextIndex_;
};

}  // namespace flowgate::attachments
