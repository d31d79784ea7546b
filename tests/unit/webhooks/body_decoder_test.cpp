#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/resource.h>

#include <filesystem>
#include <string>

#include "attachments/attachment_store.hpp"
#include "webhooks/body_decoder.hpp"
#include "support/temp_dir.hpp"

using flowgate::Attachment;
using flowgate::attachments::AttachmentStore;
using flowgate::http::DecodedBody;
using flowgate::http::DecodeError;
using flowgate::http::DecodeLimits;
using flowgate::http::decodeBody;
using flowgate::http::parseFormEncoded;
using flowgate::test::readFile;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {
// Bodies that need no attachment store: the message body, or the error.
std::variant<json, DecodeError> decodeBody(std::string_view type, std::string_view body) {
    auto decoded = flowgate::http::decodeBody(type, {}, body, {}, nullptr, {});
    if (auto* error = std::get_if<DecodeError>(&decoded)) return std::move(*error);
    return std::move(std::get<flowgate::http::DecodedBody>(decoded).body);
}
json ok(std::string_view type, std::string_view body) {
    auto result = decodeBody(type, body);
    REQUIRE(std::holds_alternative<json>(result));
    return std::get<json>(result);
}
DecodeError fails(std::string_view type, std::string_view body) {
    auto result = decodeBody(type, body);
    REQUIRE(std::holds_alternative<DecodeError>(result));
    return std::get<DecodeError>(result);
}
}  // namespace

TEST_CASE("JSON bodies decode as they are, for every JSON media type", "[http][decoder]") {
    CHECK(ok("application/json", R"({"a":[1,2.5,"x"]})") == json{{"a", {1, 2.5, "x"}}});
    CHECK(ok("Application/JSON; charset=utf-8", "[]") == json::array());
    CHECK(ok(" application/JSON\t ; charset=utf-8", "[]") == json::array());  // spaces dropped
    CHECK(ok("application/vnd.github+json", R"({"zen":"x"})") == json{{"zen", "x"}});
    CHECK(ok("", "") == json::object());
}

TEST_CASE("malformed and hostile JSON is a 400 with a reason", "[http][decoder]") {
    auto e = fails("application/json", R"({"a":)");
    CHECK(e.status == 400);
    CHECK(e.code == "malformed_json");
    CHECK(e.message.find("parse error") != std::string::npos);
    CHECK(fails("application/json", "").status == 400);
    CHECK(fails("application/json", std::string(300, '[') + std::string(300, ']')).status == 400);
    // Brackets inside strings do not count as nesting.
    CHECK(ok("application/json", "\"" + std::string(1000, '[') + "\"").is_string());
    CHECK(ok("application/json", std::string(200, '[') + std::string(200, ']')).is_array());
    // A number no double can hold is an out_of_range error in nlohmann/json, not a parse
    // error: still the caller's mistake.
    CHECK(fails("application/json", R"({"n":1e999})").code == "malformed_json");
    // Not stored cut short at the NUL: nlohmann alone would decode "[1]" and drop the rest.
    CHECK(fails("application/json", std::string("[1]\0junk", 8)).code == "malformed_json");
    CHECK(fails("application/json", std::string("{\"a\":\"x\0y\"}", 11)).code == "malformed_json");
}

TEST_CASE("a JSON body is known valid without decoding it, exactly when decoding takes it",
          "[http][decoder]") {
    using flowgate::http::isValidJsonBody;
    CHECK(isValidJsonBody("application/json", R"({"a":[1,2.5,"x"]})"));
    CHECK(isValidJsonBody("application/vnd.github+json; charset=utf-8", " [] "));
    for (const std::string& bad :
         std::vector<std::string>{R"({"a":)", "", R"({"n":1e999})", "{\"s\":\"\xff\"}",
                                  std::string(300, '[') + std::string(300, ']')}) {
        CHECK_FALSE(isValidJsonBody("application/json", bad));
        CHECK(std::holds_alternative<DecodeError>(decodeBody("application/json", bad)));
    }
    CHECK_FALSE(isValidJsonBody("text/plain", "{}"));
}

TEST_CASE("form bodies become properties, repeated keys become arrays", "[http][decoder]") {
    CHECK(ok("application/x-www-form-urlencoded", "a=1&b=hello+world&a=2&c=%41%2f&empty=&flag") ==
          json{{"a", {"1", "2"}}, {"b", "hello world"}, {"c", "A/"}, {"empty", ""}, {"flag", ""}});
    CHECK(fails("application/x-www-form-urlencoded", "a=%4").status == 400);
    CHECK(fails("application/x-www-form-urlencoded", "a=%zz").code == "malformed_form");
    json out;
    CHECK(parseFormEncoded("", out));
    CHECK(out == json::object());
    CHECK(parseFormEncoded("&&x=1&&", out));
    CHECK(out == json{{"x", "1"}});
}

TEST_CASE("error messages are UTF-8 even when they quote the body", "[http][decoder]") {
    for (const char* bad : {"\xFF", "{\"a\": tru\xC3", "[\"\xFF\"]"}) {
        const DecodeError e = fails("application/json", bad);
        CHECK(e.code == "malformed_json");
        CHECK_NOTHROW(json{{"error", e.code}, {"message", e.message}}.dump());
    }
}

TEST_CASE("form values must be UTF-8", "[http][decoder]") {
    CHECK(fails("application/x-www-form-urlencoded", "a=%FF").code == "malformed_form");
    CHECK(fails("application/x-www-form-urlencoded", "%C3=1").code == "malformed_form");
    CHECK(ok("application/x-www-form-urlencoded", "a=%C3%A9") == json{{"a", "\xC3\xA9"}});
}

TEST_CASE("without an attachment store, bodies that need one are a 415 naming the type",
          "[http][decoder]") {
    auto e = fails("text/plain", "hi");
    CHECK(e.status == 415);
    CHECK(e.code == "unsupported_media_type");
    CHECK(e.message.find("text/plain") != std::string::npos);
    CHECK(fails("", "some bytes").status == 415);
    CHECK(fails("application/octet-stream", "").status == 415);
    // XML never needs the store.
    CHECK(ok("text/xml", "<a>1</a>") == json{{"a", "1"}});
}

namespace {

const std::string kExecution = "0b7e6c1a-2f4d-4e8a-9c3b-5d6f7a8b9c0d";

// A decoder with a real store in a fresh directory.
struct Decoder {
    flowgate::test::TempDir dir;
    AttachmentStore store{AttachmentStore::rootFor(dir.path())};
    DecodeLimits limits;

    std::variant<DecodedBody, DecodeError> run(std::string_view type, std::string_view body,
                                               std::string_view disposition = {}) {
        return decodeBody(type, disposition, body, kExecution, &store, limits);
    }
    DecodedBody ok(std::string_view type, std::string_view body, std::string_view disposition = {}) {
        auto result = run(type, body, disposition);
        if (auto* error = std::get_if<DecodeError>(&result))
            FAIL(error->status << " " << error->code << ": " << error->message);
        return std::get<DecodedBody>(std::move(result));
    }
    DecodeError fails(std::string_view type, std::string_view body, std::string_view disposition = {}) {
        auto result = run(type, body, disposition);
        REQUIRE(std::holds_alternative<DecodeError>(result));
        return std::get<DecodeError>(std::move(result));
    }
    std::size_t storedFiles() const {
        std::size_t n = 0;
        for (auto& entry : fs::recursive_directory_iterator(store.root()))
            if (entry.is_regular_file()) ++n;
        return n;
    }
    bool executionDirExists() const { return fs::exists(store.root() / kExecution); }
};

const char kPdfBytes[] = "%PDF-1.4\r\n--not-a-boundary\r\n\x00\x01\x02\xff end";
const std::string kPdf(kPdfBytes, sizeof kPdfBytes - 1);
const std::string kPdfSha = "a39aa0a31baa183590fe42ab5d71c664f91ed0c858f073d263ad7d74c81ed396";
const std::string kSecond = "second file\n";
const std::string kSecondSha = "f957b19529906961933c5c30f8713c500a9bb5d9d0695c40d48c97a26a3594ec";
const std::string kMultipartType = "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW";

std::string multipartBody(const std::string& firstFileName = "invoice.pdf") {
    const std::string d = "------WebKitFormBoundary7MA4YWxkTrZu0gW";
    return d + "\r\nContent-Disposition: form-data; name=\"customer\"\r\n\r\nACME\r\n" +
           d + "\r\nContent-Disposition: form-data; name=\"invoice\"; filename=\"" + firstFileName +
           "\"\r\nContent-Type: application/pdf\r\n\r\n" + kPdf + "\r\n" +
           d + "\r\nContent-Disposition: form-data; name=\"tag\"\r\n\r\nurgent\r\n" +
           d + "\r\nContent-Disposition: form-data; name=\"notes\"; filename=\"notes.txt\"\r\n"
               "Content-Type: text/plain\r\n\r\n" + kSecond + "\r\n" +
           d + "\r\nContent-Disposition: form-data; name=\"tag\"\r\n\r\nq3\r\n" +
           d + "--\r\n";
}

}  // namespace

TEST_CASE("XML bodies decode by the rule, for every XML media type", "[http][decoder]") {
    Decoder decoder;
    for (const char* type : {"application/xml", "text/xml; charset=utf-8", "Application/SOAP+XML",
                             "application/atom+xml"}) {
        INFO(type);
        const DecodedBody d = decoder.ok(type, R"(<order id="7"><item>a</item><item>b</item></order>)");
        CHECK(d.body == json::parse(R"({"order": {"@id": "7", "item": ["a", "b"]}})"));
        CHECK(d.attachments.empty());
    }
    CHECK(decoder.storedFiles() == 0);
}

TEST_CASE("XML errors map to 400/413 with a code and the position", "[http][decoder]") {
    Decoder decoder;
    DecodeError e = decoder.fails("application/xml", "<a>\n  <b></a>");
    CHECK(e.status == 400);
    CHECK(e.code == "malformed_xml");
    CHECK(e.line == 2);
    CHECK(e.column == 8);
    CHECK(e.message.rfind("line 2, column 8: ", 0) == 0);

    e = decoder.fails("text/xml", R"(<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>)");
    CHECK(e.status == 400);
    CHECK(e.code == "xml_dtd_refused");

    std::string deep;
    for (int i = 0; i < 300; ++i) deep += "<a>";
    e = decoder.fails("application/xml", deep);
    CHECK(e.status == 400);
    CHECK(e.code == "xml_too_deep");

    decoder.limits.maxXmlNodes = 3;
    e = decoder.fails("application/xml", "<a><b/><c/><d/></a>");
    CHECK(e.status == 413);
    CHECK(e.code == "xml_too_large");

    const DecodeLimits derived = DecodeLimits::forBodyLimit(1024 * 1024, 5000);
    CHECK(derived.maxXmlNodes == 65536);
    CHECK(derived.maxAttachmentBytes == 5000);
    CHECK(derived.maxXmlDepth == 256);
    CHECK(DecodeLimits::forBodyLimit(100, 1).maxXmlNodes == 1024);
}

TEST_CASE("multipart: fields become properties, files become stored attachments", "[http][decoder]") {
    Decoder decoder;
    const DecodedBody d = decoder.ok(kMultipartType, multipartBody());
    CHECK(d.body == json{{"customer", "ACME"}, {"tag", {"urgent", "q3"}}});
    REQUIRE(d.attachments.size() == 2);

    const Attachment& pdf = d.attachments[0];
    CHECK(pdf.name == "invoice.pdf");
    CHECK(pdf.contentType == "application/pdf");
    CHECK(pdf.size == kPdf.size());
    CHECK(pdf.sha256 == kPdfSha);
    CHECK(pdf.ref == kExecution + "/0-invoice.pdf");
    CHECK(readFile(decoder.store.pathOf(pdf)) == kPdf);

    const Attachment& notes = d.attachments[1];
    CHECK(notes.name == "notes.txt");
    CHECK(notes.contentType == "text/plain");
    CHECK(notes.size == kSecond.size());
    CHECK(notes.sha256 == kSecondSha);
    CHECK(notes.ref == kExecution + "/1-notes.txt");
    CHECK(readFile(decoder.store.pathOf(notes)) == kSecond);
    CHECK(decoder.storedFiles() == 2);

    // The message form carries references only.
    flowgate::Message message;
    message.body = d.body;
    message.attachments = d.attachments;
    const json wire = message;
    CHECK(wire["attachments"][0] == json{{"name", "invoice.pdf"}, {"contentType", "application/pdf"},
                                         {"size", kPdf.size()}, {"sha256", kPdfSha},
                                         {"ref", kExecution + "/0-invoice.pdf"}});
}

TEST_CASE("multipart: only fields needs no store, files without one are a 415", "[http][decoder]") {
    const std::string fieldsOnly =
        "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
        "--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n2\r\n--b--\r\n";
    auto plain = decodeBody("multipart/form-data; boundary=b", {}, fieldsOnly, kExecution, nullptr, {});
    REQUIRE(std::holds_alternative<DecodedBody>(plain));
    CHECK(std::get<DecodedBody>(plain).body == json{{"a", {"1", "2"}}});

    auto withFile = decodeBody(kMultipartType, {}, multipartBody(), kExecution, nullptr, {});
    REQUIRE(std::holds_alternative<DecodeError>(withFile));
    CHECK(std::get<DecodeError>(withFile).status == 415);
}

TEST_CASE("multipart: a missing or wrong boundary is a 400 and stores nothing", "[http][decoder]") {
    Decoder decoder;
    DecodeError e = decoder.fails("multipart/form-data", multipartBody());
    CHECK(e.status == 400);
    CHECK(e.code == "malformed_multipart");
    CHECK(e.message.find("boundary") != std::string::npos);
    CHECK(decoder.fails("multipart/form-data; boundary=other", multipartBody()).code == "malformed_multipart");
    // Truncated after the first file: nothing of it is kept.
    const std::string body = multipartBody();
    e = decoder.fails(kMultipartType, body.substr(0, body.find("urgent")));
    CHECK(e.code == "malformed_multipart");
    CHECK(decoder.storedFiles() == 0);
    CHECK_FALSE(decoder.executionDirExists());
}

TEST_CASE("any other content type is one raw attachment", "[http][decoder]") {
    Decoder decoder;
    const std::string raw("raw bytes \0\xff\x10", 13);
    DecodedBody d = decoder.ok("application/octet-stream", raw);
    CHECK(d.body == json::object());
    REQUIRE(d.attachments.size() == 1);
    CHECK(d.attachments[0].name == "body");
    CHECK(d.attachments[0].contentType == "application/octet-stream");
    CHECK(d.attachments[0].size == 13);
    CHECK(d.attachments[0].sha256 == "93b6977e83e477772b8a474217a4718a8465078faa29b646564e3d51b8a35ece");
    CHECK(readFile(decoder.store.pathOf(d.attachments[0])) == raw);

    d = decoder.ok("text/plain; charset=utf-8", "plain text body\n", "attachment; filename=\"notes.txt\"");
    REQUIRE(d.attachments.size() == 1);
    CHECK(d.body == json::object());
    CHECK(d.attachments[0].name == "notes.txt");
    CHECK(d.attachments[0].contentType == "text/plain; charset=utf-8");
    CHECK(d.attachments[0].sha256 == "8ec781f7f15b3a3f7560a2666a960e72c52b1ded16858b2e17db26a8c9ee4aba");
    CHECK(d.attachments[0].ref == kExecution + "/1-notes.txt");

    // No content type at all: still an attachment, typed as octet-stream.
    d = decoder.ok("", "abc");
    REQUIRE(d.attachments.size() == 1);
    CHECK(d.attachments[0].contentType == "application/octet-stream");
    CHECK(d.attachments[0].sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

    // Other multipart types, images, CSV...: all raw.
    for (const char* type : {"multipart/mixed; boundary=x", "image/png", "text/csv"})
        CHECK(decoder.ok(type, "x").attachments.size() == 1);

    // No content type and no body: an empty message, nothing stored.
    const std::size_t before = decoder.storedFiles();
    d = decoder.ok("", "");
    CHECK(d.body == json::object());
    CHECK(d.attachments.empty());
    CHECK(decoder.storedFiles() == before);
    // An empty body with a type is an empty attachment.
    CHECK(decoder.ok("application/octet-stream", "").attachments.at(0).size == 0);
}

TEST_CASE("file names from the caller cannot escape the store", "[http][decoder]") {
    Decoder decoder;
    const fs::path executionDir = decoder.store.root() / kExecution;
    DecodedBody d = decoder.ok("application/octet-stream", "x", "attachment; filename=\"../../../etc/passwd\"");
    CHECK(d.attachments.at(0).name == "passwd");
    CHECK(decoder.store.pathOf(d.attachments[0]).parent_path() == executionDir);

    d = decoder.ok(kMultipartType, multipartBody("..\\..\\..\\windows\\evil.dll"));
    CHECK(d.attachments.at(0).name == "evil.dll");
    CHECK(decoder.store.pathOf(d.attachments[0]).parent_path() == executionDir);

    d = decoder.ok(kMultipartType, multipartBody("/etc/cron.d/.."));
    CHECK(d.attachments.at(0).name == "body");
    CHECK(decoder.store.pathOf(d.attachments[0]).parent_path() == executionDir);

    d = decoder.ok("application/octet-stream", "x", "attachment; filename*=UTF-8''..%2F..%2F.ssh%2Fauthorized_keys");
    CHECK(d.attachments.at(0).name == "authorized_keys");
    CHECK(decoder.store.pathOf(d.attachments[0]).parent_path() == executionDir);

    for (auto& entry : fs::recursive_directory_iterator(decoder.dir.path()))
        if (entry.is_regular_file()) CHECK(entry.path().parent_path() == executionDir);
}

TEST_CASE("attachments over the flow's limit are a 413 and store nothing", "[http][decoder]") {
    Decoder decoder;
    decoder.limits.maxAttachmentBytes = 10;
    DecodeError e = decoder.fails("application/octet-stream", "eleven byte");
    CHECK(e.status == 413);
    CHECK(e.code == "attachment_too_large");
    CHECK(decoder.ok("application/octet-stream", "ten bytes!").attachments.at(0).size == 10);
    decoder.store.removeExecution(kExecution);

    // Each file fits, their total does not.
    decoder.limits.maxAttachmentBytes = kPdf.size() + kSecond.size() - 1;
    e = decoder.fails(kMultipartType, multipartBody());
    CHECK(e.status == 413);
    CHECK(e.code == "attachment_too_large");
    CHECK(decoder.storedFiles() == 0);
    CHECK_FALSE(decoder.executionDirExists());
    decoder.limits.maxAttachmentBytes = kPdf.size() + kSecond.size();
    CHECK(decoder.ok(kMultipartType, multipartBody()).attachments.size() == 2);
}

TEST_CASE("a store failure half-way is a 503 and leaves nothing stored", "[http][decoder]") {
    Decoder decoder;
    // Files may not grow past 20 bytes: the first attachment (12 bytes) is written, the
    // second (36 bytes) fails with EFBIG. Works even as root, unlike permissions.
    struct sigaction ignore {}, previous{};
    ignore.sa_handler = SIG_IGN;
    REQUIRE(::sigaction(SIGXFSZ, &ignore, &previous) == 0);
    rlimit old{};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
    rlimit small = old;
    small.rlim_cur = 20;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);

    const std::string d = "--b";
    const std::string body =
        d + "\r\nContent-Disposition: form-data; name=\"a\"; filename=\"small.txt\"\r\n\r\n" + kSecond + "\r\n" +
        d + "\r\nContent-Disposition: form-data; name=\"b\"; filename=\"big.pdf\"\r\n\r\n" + kPdf + "\r\n" +
        d + "--\r\n";
    auto result = decoder.run("multipart/form-data; boundary=b", body);

    ::setrlimit(RLIMIT_FSIZE, &old);
    ::sigaction(SIGXFSZ, &previous, nullptr);

    REQUIRE(std::holds_alternative<DecodeError>(result));
    const DecodeError& e = std::get<DecodeError>(result);
    CHECK(e.status == 503);
    CHECK(e.code == "attachment_store_unavailable");
    CHECK(e.message.find(decoder.dir.path().string()) == std::string::npos);  // no server paths
    CHECK(e.detail.find("big.pdf") != std::string::npos);                      // but the log has them
    CHECK(decoder.storedFiles() == 0);
    CHECK_FALSE(decoder.executionDirExists());
}
