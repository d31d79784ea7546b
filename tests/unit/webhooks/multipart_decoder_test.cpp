#include <catch2/catch.hpp>

#include <string>

#include "webhooks/multipart_decoder.hpp"

using flowgate::http::decodeMultipart;
using flowgate::http::MultipartBody;
using flowgate::http::MultipartError;
using flowgate::http::parseContentDisposition;
using nlohmann::json;

namespace {

const std::string kType = "multipart/form-data; boundary=XyZ";

MultipartBody parts(std::string_view body, std::string_view type = kType) {
    auto result = decodeMultipart(type, body);
    if (auto* error = std::get_if<MultipartError>(&result)) FAIL("refused: " << error->message);
    return std::get<MultipartBody>(std::move(result));
}

std::string refused(std::string_view body, std::string_view type = kType) {
    auto result = decodeMultipart(type, body);
    REQUIRE(std::holds_alternative<MultipartError>(result));
    return std::get<MultipartError>(result).message;
}

}  // namespace

TEST_CASE("multipart: fields, repeated names and files", "[http][decoder][multipart]") {
    const std::string body =
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"title\"\r\n\r\n"
        "Hello \xE2\x82\xAC\r\n"
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"tag\"\r\n\r\n"
        "a\r\n"
        "--XyZ\r\n"
        "content-disposition: form-data; name=\"tag\"\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "b\r\n"
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"upload\"; filename=\"a.bin\"\r\n"
        "Content-Type: application/x-thing\r\n\r\n"
        "line1\r\n--Xy not a delimiter\r\n-- XyZ\r\n\r\n"
        "--XyZ\r\n"
        "Content-Disposition: form-data; name=\"empty\"\r\n\r\n"
        "\r\n"
        "--XyZ--\r\n";
    const MultipartBody m = parts(body);
    CHECK(m.fields == json{{"title", "Hello \xE2\x82\xAC"}, {"tag", {"a", "b"}}, {"empty", ""}});
    REQUIRE(m.files.size() == 1);
    CHECK(m.files[0].field == "upload");
    CHECK(m.files[0].fileName == "a.bin");
    CHECK(m.files[0].contentType == "application/x-thing");
    CHECK(m.files[0].bytes == "line1\r\n--Xy not a delimiter\r\n-- XyZ\r\n");
}

TEST_CASE("multipart: preamble, epilogue, quoted boundary, padding", "[http][decoder][multipart]") {
    const MultipartBody m = parts(
        "This is the preamble.\r\n--a b:c  \r\n"
        "Content-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n"
        "--a b:c--\r\nepilogue, ignored",
        "Multipart/Form-Data; charset=utf-8; boundary=\"a b:c\"");
    CHECK(m.fields == json{{"x", "1"}});
    CHECK(m.files.empty());
}

TEST_CASE("multipart: file parts without a type or with an empty file name", "[http][decoder][multipart]") {
    const MultipartBody m = parts(
        "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"data\"\r\n\r\n\x01\x02\r\n"
        "--XyZ\r\nContent-Disposition: form-data; name=\"none\"; filename=\"\"\r\n"
        "Content-Type: application/octet-stream\r\n\r\n\r\n"
        "--XyZ\r\nContent-Disposition: form-data; name=\"unnamed\"; filename=\"\"\r\n\r\nbytes\r\n"
        "--XyZ--");
    REQUIRE(m.files.size() == 2);  // the empty "no file chosen" part is dropped
    CHECK(m.files[0].contentType == "application/octet-stream");
    CHECK(m.files[0].bytes == "\x01\x02");
    CHECK(m.files[1].field == "unnamed");
    CHECK(m.files[1].fileName.empty());
    CHECK(m.files[1].bytes == "bytes");
}

TEST_CASE("multipart: missing or malformed boundaries and parts are refused", "[http][decoder][multipart]") {
    const std::string ok = "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ--\r\n";
    CHECK(refused(ok, "multipart/form-data").find("boundary") != std::string::npos);
    CHECK(refused(ok, "multipart/form-data; boundary=").find("boundary") != std::string::npos);
    CHECK(refused(ok, "multipart/form-data; boundary=\"" + std::string(71, 'a') + "\"")
              .find("boundary") != std::string::npos);
    CHECK(refused(ok, "multipart/form-data; boundary=\"bad{char}\"").find("boundary") != std::string::npos);
    CHECK(refused(ok, "multipart/form-data; boundary=Other").find("delimiter") != std::string::npos);
    CHECK(refused("").find("delimiter") != std::string::npos);
    // Truncated: the closing delimiter never comes.
    CHECK(refused("--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nhello wor")
              .find("closing") != std::string::npos);
    CHECK(refused("--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZ")
              .find("CRLF") != std::string::npos);
    // A part without Content-Disposition, without a name, without a header end.
    CHECK(refused("--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--").find("Content-Disposition") !=
          std::string::npos);
    CHECK(refused("--XyZ\r\n\r\nx\r\n--XyZ--").find("Content-Disposition") != std::string::npos);
    CHECK(refused("--XyZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XyZ--").find("name") !=
          std::string::npos);
    CHECK(refused("--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\nx\r\n--XyZ--").find("blank line") !=
          std::string::npos);
    // A delimiter glued to other text.
    CHECK(refused("--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XyZjunk\r\n--XyZ--") ==
          "a boundary delimiter is not followed by CRLF");
    // Field values must be UTF-8 (a JSON string cannot hold anything else).
    CHECK(refused("--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\xFF\r\n--XyZ--").find("UTF-8") !=
          std::string::npos);
}

TEST_CASE("Content-Disposition parameters", "[http][decoder][multipart]") {
    auto d = parseContentDisposition("attachment; filename=\"q 1.pdf\"");
    CHECK(d.type == "attachment");
    CHECK(d.fileName == "q 1.pdf");
    CHECK_FALSE(d.name);
    d = parseContentDisposition("Attachment; FILENAME=plain.pdf; filename*=UTF-8''%E2%82%AC%20rates.pdf");
    CHECK(d.type == "attachment");
    CHECK(d.fileName == "\xE2\x82\xAC rates.pdf");
    d = parseContentDisposition("attachment; filename*=iso-8859-1'en'caf%E9.txt");
    CHECK(d.fileName == "caf\xC3\xA9.txt");
    // An undecodable filename* falls back to filename.
    d = parseContentDisposition("attachment; filename*=UTF-8''%FF; filename=fallback.txt");
    CHECK(d.fileName == "fallback.txt");
    d = parseContentDisposition("form-data; name=\"field\"");
    CHECK(d.name == "field");
    CHECK_FALSE(d.fileName);
    CHECK_FALSE(parseContentDisposition("").fileName);
    // Raw backslashes (Windows paths) stay; \" is a quote.
    CHECK(parseContentDisposition(R"(form-data; name="f"; filename="C:\Users\me\report.pdf")").fileName ==
          R"(C:\Users\me\report.pdf)");
    CHECK(parseContentDisposition(R"(form-data; name="f"; filename="a\"b.txt"; x=1)").fileName == "a\"b.txt");
    CHECK(parseContentDisposition("form-data; name=\"a;b\"; filename=x.txt ").name == "a;b");
    CHECK(parseContentDisposition("form-data; name=\"a;b\"; filename=x.txt ").fileName == "x.txt");
}
