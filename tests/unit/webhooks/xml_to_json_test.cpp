#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "webhooks/xml_to_json.hpp"
#include "support/temp_dir.hpp"

using flowgate::http::XmlError;
using flowgate::http::XmlLimits;
using flowgate::http::xmlToJson;
using nlohmann::json;

namespace {

json xml(std::string_view text, const XmlLimits& limits = {}) {
    auto result = xmlToJson(text, limits);
    if (auto* error = std::get_if<XmlError>(&result))
        FAIL("refused: " << error->message << " at " << error->line << ":" << error->column);
    return std::get<json>(result);
}

XmlError refused(std::string_view text, const XmlLimits& limits = {}) {
    auto result = xmlToJson(text, limits);
    REQUIRE(std::holds_alternative<XmlError>(result));
    return std::get<XmlError>(result);
}

const char* const kBillionLaughs = R"(<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>)";

}  // namespace

TEST_CASE("XML: the root is the one key; leaves are their text", "[http][decoder][xml]") {
    CHECK(xml("<name>Ada</name>") == json{{"name", "Ada"}});
    CHECK(xml("<name> Ada\n</name>") == json{{"name", " Ada\n"}});  // leaf text kept as written
    CHECK(xml("<empty/>") == json{{"empty", ""}});
    CHECK(xml("<empty></empty>") == json{{"empty", ""}});
    CHECK(xml("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<n>1</n>\n") == json{{"n", "1"}});
}

TEST_CASE("XML: attributes are @keys, children are keys, own text is #text", "[http][decoder][xml]") {
    CHECK(xml(R"(<order id="7" status="new"><item sku="a1">Widget</item><note/></order>)") ==
          json::parse(R"({"order": {"@id": "7", "@status": "new",
                                    "item": {"@sku": "a1", "#text": "Widget"}, "note": ""}})"));
    // An element with attributes and no text has no #text.
    CHECK(xml(R"(<img src="a.png" alt=""/>)") == json::parse(R"({"img": {"@src": "a.png", "@alt": ""}})"));
}

TEST_CASE("XML: repeated child names become arrays in document order", "[http][decoder][xml]") {
    CHECK(xml("<list><i>1</i><x>a</x><i>2</i><i>3</i></list>") ==
          json::parse(R"({"list": {"i": ["1", "2", "3"], "x": "a"}})"));
    // A name seen once is never an array; repeats may mix strings and objects.
    CHECK(xml(R"(<l><i a="1"/><i>t</i><j>once</j></l>)") ==
          json::parse(R"({"l": {"i": [{"@a": "1"}, "t"], "j": "once"}})"));
    CHECK(xml("<l><i><v>1</v></i><i><v>2</v><v>3</v></i></l>") ==
          json::parse(R"({"l": {"i": [{"v": "1"}, {"v": ["2", "3"]}]}})"));
}

TEST_CASE("XML: mixed content and indentation", "[http][decoder][xml]") {
    CHECK(xml("<p>Hello <b>you</b> there</p>") ==
          json::parse(R"({"p": {"#text": "Hello  there", "b": "you"}})"));
    // Whitespace-only text between children (indentation) is not text.
    CHECK(xml("<a>\n  <b>1</b>\n  <c>\n    <d>2</d>\n  </c>\n</a>\n") ==
          json::parse(R"({"a": {"b": "1", "c": {"d": "2"}}})"));
    CHECK(xml("<a x=\"1\">\n  text  \n</a>") == json::parse(R"({"a": {"@x": "1", "#text": "text"}})"));
}

TEST_CASE("XML: nested documents", "[http][decoder][xml]") {
    const char* doc = R"(<invoice number="2024-17">
  <customer><name>ACME</name><address country="DE"><city>Berlin</city></address></customer>
  <lines>
    <line qty="2"><sku>A</sku><price currency="EUR">9.50</price></line>
    <line qty="1"><sku>B</sku><price currency="EUR">20</price></line>
  </lines>
</invoice>)";
    CHECK(xml(doc) == json::parse(R"({"invoice": {
        "@number": "2024-17",
        "customer": {"name": "ACME", "address": {"@country": "DE", "city": "Berlin"}},
        "lines": {"line": [
            {"@qty": "2", "sku": "A", "price": {"@currency": "EUR", "#text": "9.50"}},
            {"@qty": "1", "sku": "B", "price": {"@currency": "EUR", "#text": "20"}}]}}})"));
}

TEST_CASE("XML: qualified names are kept as written; xmlns is an attribute", "[http][decoder][xml]") {
    const char* soap = R"(<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Body><m:GetPrice xmlns:m="urn:shop"><m:Item>Apple</m:Item></m:GetPrice></soap:Body>
</soap:Envelope>)";
    CHECK(xml(soap) == json::parse(R"({"soap:Envelope": {
        "@xmlns:soap": "http://schemas.xmlsoap.org/soap/envelope/",
        "soap:Body": {"m:GetPrice": {"@xmlns:m": "urn:shop", "m:Item": "Apple"}}}})"));
    CHECK(xml(R"(<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>)") ==
          json::parse(R"({"feed": {"@xmlns": "http://www.w3.org/2005/Atom", "title": "t"}})"));
    // Prefixes are not resolved, so an undeclared one is no error.
    CHECK(xml("<x:a>1</x:a>") == json{{"x:a", "1"}});
}

TEST_CASE("XML: CDATA, predefined entities and character references", "[http][decoder][xml]") {
    CHECK(xml("<s><![CDATA[<b>&amp;</b> ]]></s>") == json{{"s", "<b>&amp;</b> "}});
    CHECK(xml(R"(<t a="x &amp; y &quot;q&quot; &lt;">&lt;tag&gt; &amp; &apos;&#233;&#x263A;</t>)") ==
          json::parse(R"({"t": {"@a": "x & y \"q\" <", "#text": "<tag> & 'é☺"}})"));
    CHECK(xml("<s>a<![CDATA[ b ]]>c</s>") == json{{"s", "a b c"}});
    // Comments and processing instructions are dropped.
    CHECK(xml("<!-- c --><r><?pi data?>v<!-- c2 --></r><!-- after -->") == json{{"r", "v"}});
}

TEST_CASE("XML: the declared encoding is honoured; output is UTF-8", "[http][decoder][xml]") {
    CHECK(xml("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r>caf\xE9</r>") == json{{"r", "café"}});
    // UTF-16LE with a byte-order mark.
    const char raw[] = "\xFF\xFE<\0r\0>\0\xE9\0<\0/\0r\0>\0";
    const std::string utf16(raw, sizeof raw - 1);
    CHECK(xml(utf16) == json{{"r", "é"}});
}

TEST_CASE("XML: a billion-laughs document is refused at its DOCTYPE, fast", "[http][decoder][xml]") {
    const auto start = std::chrono::steady_clock::now();
    const XmlError e = refused(kBillionLaughs);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    CHECK(e.kind == XmlError::Kind::DtdRefused);
    CHECK(e.line == 2);  // refused where the DOCTYPE is, before any entity is declared
    CHECK(elapsed < std::chrono::milliseconds(100));
    // The same with a quadratic blow-up made of one big entity.
    std::string quadratic = "<!DOCTYPE r [<!ENTITY a \"" + std::string(50000, 'a') + "\">]><r>";
    for (int i = 0; i < 50000; ++i) quadratic += "&a;";
    quadratic += "</r>";
    const auto start2 = std::chrono::steady_clock::now();
    CHECK(refused(quadratic).kind == XmlError::Kind::DtdRefused);
    CHECK(std::chrono::steady_clock::now() - start2 < std::chrono::milliseconds(100));
}

TEST_CASE("XML: external entities are refused and never read", "[http][decoder][xml]") {
    SECTION("XXE to /etc/passwd") {
        const char* xxe = R"(<?xml version="1.0"?>
<!DOCTYPE foo [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
<foo>&xxe;</foo>)";
        const auto start = std::chrono::steady_clock::now();
        const XmlError e = refused(xxe);
        CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(100));
        CHECK(e.kind == XmlError::Kind::DtdRefused);
        CHECK(e.message.find("root:") == std::string::npos);
        CHECK(refused(R"(<!DOCTYPE foo SYSTEM "file:///etc/passwd"><foo/>)").kind ==
              XmlError::Kind::DtdRefused);
        CHECK(refused(R"(<!DOCTYPE foo PUBLIC "-//x//y" "http://example.invalid/x.dtd"><foo/>)").kind ==
              XmlError::Kind::DtdRefused);
        CHECK(refused("<!DOCTYPE foo><foo/>").kind == XmlError::Kind::DtdRefused);
    }

    SECTION("nothing even opens the file an entity names") {
        // A FIFO: opening it for writing blocks until someone opens it for reading. If the
        // parser so much as opened it, the writer below would be released.
        flowgate::test::TempDir dir;
        const auto fifo = dir / "secret";
        REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
        std::atomic<bool> opened{false};
        std::thread writer([&] {
            const int fd = ::open(fifo.c_str(), O_WRONLY);
            opened = true;
            if (fd >= 0) ::close(fd);
        });
        const std::string url = "file://" + fifo.string();
        for (const std::string& doc : std::vector<std::string>{
                 "<!DOCTYPE r [<!ENTITY x SYSTEM \"" + url + "\">]><r>&x;</r>",
                 "<!DOCTYPE r SYSTEM \"" + url + "\"><r/>",
                 "<!DOCTYPE r [<!ENTITY % p SYSTEM \"" + url + "\"> %p;]><r/>",
                 "<r>&x;</r>",  // undeclared: malformed, not fetched
             }) {
            auto result = xmlToJson(doc, {});
            CHECK(std::holds_alternative<XmlError>(result));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        CHECK_FALSE(opened.load());
        const int release = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);  // let the writer go
        writer.join();
        if (release >= 0) ::close(release);
    }
}

TEST_CASE("XML: malformed documents report where", "[http][decoder][xml]") {
    XmlError e = refused("<a>\n  <b></a>");
    CHECK(e.kind == XmlError::Kind::Malformed);
    CHECK(e.line == 2);
    CHECK(e.column == 8);
    CHECK(e.message.find("mismatch") != std::string::npos);

    CHECK(refused("").kind == XmlError::Kind::Malformed);
    CHECK(refused("not xml").kind == XmlError::Kind::Malformed);
    CHECK(refused("<a/><b/>").kind == XmlError::Kind::Malformed);      // two roots
    CHECK(refused("<a>&nbsp;</a>").kind == XmlError::Kind::Malformed);  // undefined entity
    CHECK(refused("<a x='1' x='2'/>").kind == XmlError::Kind::Malformed);
    CHECK(refused("<a>\xFF</a>").kind == XmlError::Kind::Malformed);   // not UTF-8
    e = refused("<a>\n\n<b>unclosed");
    CHECK(e.kind == XmlError::Kind::Malformed);
    CHECK(e.line >= 3);
}

TEST_CASE("XML: depth and size limits", "[http][decoder][xml]") {
    auto nested = [](int depth) {
        std::string doc;
        for (int i = 0; i < depth; ++i) doc += "<a>";
        for (int i = 0; i < depth; ++i) doc += "</a>";
        return doc;
    };
    CHECK(xml(nested(256)).contains("a"));
    const XmlError deep = refused(nested(257));
    CHECK(deep.kind == XmlError::Kind::TooDeep);
    CHECK(deep.line == 1);
    CHECK(refused(nested(100000)).kind == XmlError::Kind::TooDeep);
    CHECK(refused(nested(11), XmlLimits{10, 1000}).kind == XmlError::Kind::TooDeep);

    // Elements and attributes both count.
    const XmlLimits small{256, 10};
    CHECK(xml("<r><a/><a/><a/><a/><a/><a/><a/><a/><a/></r>", small).contains("r"));
    CHECK(refused("<r><a/><a/><a/><a/><a/><a/><a/><a/><a/><a/></r>", small).kind ==
          XmlError::Kind::TooLarge);
    CHECK(refused(R"(<r a="" b="" c="" d="" e=""><x f="" g="" h="" i=""/></r>)", small).kind ==
          XmlError::Kind::TooLarge);
}
