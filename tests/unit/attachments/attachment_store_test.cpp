#include <catch2/catch.hpp>

#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "attachments/attachment_store.hpp"
#include "support/temp_dir.hpp"

using flowgate::Attachment;
using flowgate::attachments::AttachmentStore;
using flowgate::test::readFile;
using flowgate::test::TempDir;
namespace fs = std::filesystem;

namespace {

const std::string kId = "4f0c2a6e-7d1b-4c8e-9a53-0b6f2d8e1c77";

// True if `path`, taken lexically, is strictly inside `root`.
bool isInside(const fs::path& root, const fs::path& path) {
    const fs::path normalRoot = root.lexically_normal();
    const fs::path relative = path.lexically_normal().lexically_relative(normalRoot);
    return !relative.empty() && *relative.begin() != ".." && relative.is_relative();
}

std::size_t fileCount(const fs::path& dir) {
    std::size_t n = 0;
    for (auto& entry : fs::recursive_directory_iterator(dir))
        if (entry.is_regular_file()) ++n;
    return n;
}

}  // namespace

TEST_CASE("put stores the bytes durably and describes them", "[attachments]") {
    TempDir dir;
    AttachmentStore store(AttachmentStore::rootFor(dir.path()));
    CHECK(store.root() == dir.path() / "attachments");
    CHECK(fs::is_directory(store.root()));

    const Attachment a = store.put(kId, "report.pdf", "application/pdf", "hello world");
    CHECK(a.name == "report.pdf");
    CHECK(a.contentType == "application/pdf");
    CHECK(a.size == 11);
    CHECK(a.sha256 == "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9");
    CHECK(a.ref == kId + "/0-report.pdf");
    CHECK(store.pathOf(a) == store.root() / kId / "0-report.pdf");
    CHECK(readFile(store.pathOf(a)) == "hello world");

    // The same name again gets the next number; an empty body and type are fine.
    const Attachment b = store.put(kId, "report.pdf", "", "");
    CHECK(b.ref == kId + "/1-report.pdf");
    CHECK(b.contentType == "application/octet-stream");
    CHECK(b.size == 0);
    CHECK(b.sha256 == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(readFile(store.pathOf(b)).empty());

    const std::string binary("raw bytes \0\xff\x10", 13);
    const Attachment c = store.put(kId, "", "application/octet-stream", binary);
    CHECK(c.name == "body");
    CHECK(c.sha256 == "93b6977e83e477772b8a474217a4718a8465078faa29b646564e3d51b8a35ece");
    CHECK(readFile(store.pathOf(c)) == binary);
    CHECK(store.bytesUsed() == 11 + 0 + 13);
}

TEST_CASE("caller-supplied file names never leave the execution directory", "[attachments]") {
    TempDir dir;
    AttachmentStore store(dir / "attachments");
    const std::vector<std::string> hostile = {
        "../../etc/passwd", "/etc/passwd", "..", ".", "...", ".hidden", "..\\..\\windows\\evil.dll",
        "C:\\Windows\\system32\\evil.dll", "a/../../../b", std::string("nul\0byte.txt", 12),
        std::string(1000, 'x') + ".txt", std::string(300, '.'), "\xC3\xA9t\xC3\xA9 r\xC3\xA9sum\xC3\xA9.pdf",
        "bad \xFF\xFE utf8", "line\r\nbreak", "", "./", "../", "dir/", "~/.ssh/authorized_keys"};
    std::set<std::string> refs;
    for (const auto& name : hostile) {
        const Attachment a = store.put(kId, name, "text/plain", "x");
        INFO("name: " << name << " -> ref " << a.ref);
        const fs::path path = store.pathOf(a);
        CHECK(isInside(store.root() / kId, path));
        CHECK(path.parent_path() == store.root() / kId);
        const std::string file = path.filename().string();
        CHECK(file.size() <= 120);
        CHECK(file.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
              std::string::npos);
        CHECK(fs::is_regular_file(path));
        // The display name is valid UTF-8 text without directory parts or control characters.
        CHECK(a.name.find('/') == std::string::npos);
        CHECK(a.name.find('\\') == std::string::npos);
        CHECK(a.name.find('\0') == std::string::npos);
        CHECK(a.name.find('\n') == std::string::npos);
        CHECK(a.name.size() <= 255);
        CHECK_NOTHROW(nlohmann::json(a).dump());
        refs.insert(a.ref);
    }
    CHECK(refs.size() == hostile.size());
    CHECK(fileCount(dir.path()) == hostile.size());  // nothing was written anywhere else

    CHECK(AttachmentStore::displayName("../../etc/passwd") == "passwd");
    CHECK(AttachmentStore::displayName("C:\\x\\report.pdf") == "report.pdf");
    CHECK(AttachmentStore::displayName("..") == "body");
    CHECK(AttachmentStore::displayName("bad \xFF utf8") == "bad _ utf8");
    CHECK(AttachmentStore::displayName("\xC3\xA9t\xC3\xA9.pdf") == "\xC3\xA9t\xC3\xA9.pdf");
    CHECK(AttachmentStore::safeFileName("\xC3\xA9t\xC3\xA9.pdf") == "__t__.pdf");
    CHECK(AttachmentStore::safeFileName("..hidden") == "hidden");
    CHECK(AttachmentStore::safeFileName("...") == "body");
    CHECK(AttachmentStore::safeFileName("a b/c") == "a_b_c");
}

TEST_CASE("execution ids and refs are validated", "[attachments]") {
    TempDir dir;
    AttachmentStore store(dir / "attachments");
    for (const std::string& id : std::vector<std::string>{"", ".", "..", "../x", "a/b", "/abs", ".hidden", std::string(129, 'a'),
                                 std::string("a\0b", 3), "a b"}) {
        INFO("id: " << id);
        CHECK_FALSE(AttachmentStore::isValidExecutionId(id));
        CHECK_THROWS_AS(store.put(id, "x", "text/plain", "x"), std::invalid_argument);
        CHECK_THROWS_AS(store.removeExecution(id), std::invalid_argument);
    }
    CHECK(AttachmentStore::isValidExecutionId(kId));

    for (const std::string& ref : std::vector<std::string>{"../etc/passwd", "/etc/passwd", kId + "/../../x", kId + "/.hidden",
                                  kId, kId + "/a/b", kId + "/", "/" + kId + "/0-x", kId + "/..",
                                  "..//etc/passwd", kId + "/a\\b"}) {
        INFO("ref: " << ref);
        Attachment forged;
        forged.ref = ref;
        CHECK_THROWS_AS(store.pathOf(forged), std::invalid_argument);
    }
    CHECK(fileCount(dir.path()) == 0);
}

TEST_CASE("removeExecution deletes one execution's files only", "[attachments]") {
    TempDir dir;
    AttachmentStore store(dir / "attachments");
    const std::string other = "other-execution";
    const Attachment mine = store.put(kId, "a.txt", "text/plain", "abc");
    store.put(kId, "b.txt", "text/plain", "abc");
    const Attachment theirs = store.put(other, "a.txt", "text/plain", "abc");
    CHECK(store.bytesUsed() == 9);

    store.removeExecution(kId);
    CHECK_FALSE(fs::exists(store.root() / kId));
    CHECK_FALSE(fs::exists(store.pathOf(mine)));
    CHECK(readFile(store.pathOf(theirs)) == "abc");
    CHECK(store.bytesUsed() == 3);
    CHECK_NOTHROW(store.removeExecution(kId));  // nothing left: no error

    // Numbering starts again for a removed execution.
    CHECK(store.put(kId, "a.txt", "text/plain", "z").ref == kId + "/0-a.txt");
}

TEST_CASE("concurrent puts get distinct files with intact bytes", "[attachments]") {
    TempDir dir;
    AttachmentStore store(dir / "attachments");
    constexpr int kThreads = 8, kEach = 25;
    std::vector<std::vector<Attachment>> results(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                const std::string bytes = "thread " + std::to_string(t) + " item " + std::to_string(i);
                // Half share one execution (and one name), half have their own.
                const std::string id = (t % 2 == 0) ? kId : "exec-" + std::to_string(t);
                results[t].push_back(store.put(id, "same.bin", "application/octet-stream", bytes));
            }
        });
    for (auto& thread : threads) thread.join();

    std::set<std::string> refs;
    for (int t = 0; t < kThreads; ++t)
        for (int i = 0; i < kEach; ++i) {
            const Attachment& a = results[t][i];
            refs.insert(a.ref);
            CHECK(readFile(store.pathOf(a)) == "thread " + std::to_string(t) + " item " + std::to_string(i));
        }
    CHECK(refs.size() == kThreads * kEach);
    CHECK(fileCount(store.root()) == kThreads * kEach);
}
