#include "webhooks/xml_to_json.hpp"

#include <utility>
#include <vector>

#include <Poco/SAX/Attributes.h>
#include <Poco/SAX/DeclHandler.h>
#include <Poco/SAX/DefaultHandler.h>
#include <Poco/SAX/InputSource.h>
#include <Poco/SAX/LexicalHandler.h>
#include <Poco/SAX/Locator.h>
#include <Poco/SAX/SAXException.h>
#include <Poco/SAX/SAXParser.h>
#include <Poco/XML/XMLException.h>

namespace flowgate::http {

using nlohmann::json;
using Poco::XML::XMLChar;
using Poco::XML::XMLString;

namespace {

// Thrown from inside the parser's callbacks to stop it at once. Not a Poco exception, so
// Poco's callback wrappers let it through untouched.
struct Refusal {
    XmlError error;
};

bool isXmlSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string trimmed(const std::string& text) {
    std::size_t begin = 0, end = text.size();
    while (begin < end && isXmlSpace(text[begin])) ++begin;
    while (end > begin && isXmlSpace(text[end - 1])) --end;
    return text.substr(begin, end - begin);
}

// Builds the JSON while the parser streams events; refuses every DTD-related event.
class JsonBuilder final : public Poco::XML::DefaultHandler,
                          public Poco::XML::LexicalHandler,
                          public Poco::XML::DeclHandler {
public:
    explicit JsonBuilder(const XmlLimits& limits) : limits_(limits) {}

    json takeResult() { return std::move(result_); }

    // ContentHandler
    void setDocumentLocator(const Poco::XML::Locator* locator) override { locator_ = locator; }

    void startElement(const XMLString&, const XMLString&, const XMLString& qname,
                      const Poco::XML::Attributes& attributes) override {
        if (static_cast<int>(stack_.size()) >= limits_.maxDepth)
            refuse(XmlError::Kind::TooDeep,
                   "XML nested deeper than " + std::to_string(limits_.maxDepth) + " elements");
        const int attributeCount = attributes.getLength();
        nodes_ += 1 + static_cast<std::size_t>(attributeCount);
        if (nodes_ > limits_.maxNodes)
            refuse(XmlError::Kind::TooLarge, "XML has more than " + std::to_string(limits_.maxNodes) +
                                                 " elements and attributes");
        Frame frame;
        frame.name = qname;
        if (attributeCount > 0) {
            frame.object = json::object();
            for (int i = 0; i < attributeCount; ++i)
                frame.object["@" + attributes.getQName(i)] = attributes.getValue(i);
        }
        stack_.push_back(std::move(frame));
    }

    void endElement(const XMLString&, const XMLString&, const XMLString&) override {
        Frame frame = std::move(stack_.back());
        stack_.pop_back();
        json value;
        if (frame.object.is_null()) {
            value = std::move(frame.text);  // rule 2: no attributes, no children
        } else {
            value = std::move(frame.object);
            std::string text = trimmed(frame.text);
            if (!text.empty()) value["#text"] = std::move(text);
        }
        if (stack_.empty()) {
            result_ = json::object();
            result_[frame.name] = std::move(value);
            return;
        }
        json& siblings = stack_.back().object;
        if (siblings.is_null()) siblings = json::object();
        auto it = siblings.find(frame.name);
        if (it == siblings.end()) {
            siblings.emplace(std::move(frame.name), std::move(value));
        } else if (it->is_array()) {  // values are strings or objects: an array is a repeat
            it->push_back(std::move(value));
        } else {
            json repeated = json::array();
            repeated.push_back(std::move(*it));
            repeated.push_back(std::move(value));
            *it = std::move(repeated);
        }
    }

    void characters(const XMLChar ch[], int start, int length) override {
        if (!stack_.empty()) stack_.back().text.append(ch + start, static_cast<std::size_t>(length));
    }
    void ignorableWhitespace(const XMLChar ch[], int start, int length) override {
        characters(ch, start, length);
    }

    // LexicalHandler: a DOCTYPE is reported here as soon as its name and ids are read,
    // before any of its internal subset (entity declarations included) is parsed.
    void startDTD(const XMLString&, const XMLString&, const XMLString&) override { refuseDtd(); }
    void endDTD() override { refuseDtd(); }
    void startEntity(const XMLString&) override { refuseDtd(); }
    void endEntity(const XMLString&) override { refuseDtd(); }
    void startCDATA() override {}
    void endCDATA() override {}
    void comment(const XMLChar[], int, int) override {}

    // DeclHandler and DTDHandler: unreachable once startDTD refuses; refuse anyway.
    void attributeDecl(const XMLString&, const XMLString&, const XMLString*, const XMLString*) override {
        refuseDtd();
    }
    void elementDecl(const XMLString&, const XMLString&) override { refuseDtd(); }
    void externalEntityDecl(const XMLString&, const XMLString*, const XMLString&) override { refuseDtd(); }
    void internalEntityDecl(const XMLString&, const XMLString&) override { refuseDtd(); }
    void notationDecl(const XMLString&, const XMLString*, const XMLString*) override { refuseDtd(); }
    void unparsedEntityDecl(const XMLString&, const XMLString*, const XMLString&, const XMLString&) override {
        refuseDtd();
    }

    // EntityResolver: external entities are off; if anything still asks, nothing is read.
    Poco::XML::InputSource* resolveEntity(const XMLString*, const XMLString&) override { refuseDtd(); }

private:
    struct Frame {
        std::string name;
        json object;  // null while the element has neither attributes nor children
        std::string text;
    };

    [[noreturn]] void refuse(XmlError::Kind kind, std::string message) {
        XmlError error{kind, std::move(message)};
        if (locator_) {
            error.line = locator_->getLineNumber();
            error.column = locator_->getColumnNumber() + 1;  // expat counts columns from 0
        }
        throw Refusal{std::move(error)};
    }
    [[noreturn]] void refuseDtd() {
        refuse(XmlError::Kind::DtdRefused,
               "XML with a document type declaration (DOCTYPE) is not accepted");
    }

    const XmlLimits& limits_;
    const Poco::XML::Locator* locator_ = nullptr;
    std::vector<Frame> stack_;
    std::size_t nodes_ = 0;
    json result_;
};

}  // namespace

std::variant<json, XmlError> xmlToJson(std::string_view xml, const XmlLimits& limits) {
    JsonBuilder builder(limits);
    Poco::XML::SAXParser parser;
    try {
        // Qualified names as written (rule 5), and never anything from outside the body.
        parser.setFeature(Poco::XML::XMLReader::FEATURE_NAMESPACES, false);
        parser.setFeature(Poco::XML::XMLReader::FEATURE_NAMESPACE_PREFIXES, false);
        parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_GENERAL_ENTITIES, false);
        parser.setFeature(Poco::XML::XMLReader::FEATURE_EXTERNAL_PARAMETER_ENTITIES, false);
        parser.setContentHandler(&builder);
        parser.setDTDHandler(&builder);
        parser.setEntityResolver(&builder);
        parser.setProperty(Poco::XML::XMLReader::PROPERTY_LEXICAL_HANDLER,
                           static_cast<Poco::XML::LexicalHandler*>(&builder));
        parser.setProperty(Poco::XML::XMLReader::PROPERTY_DECLARATION_HANDLER,
                           static_cast<Poco::XML::DeclHandler*>(&builder));
        parser.parseMemoryNP(xml.data(), xml.size());
    } catch (const Refusal& refusal) {
        return refusal.error;
    } catch (const Poco::XML::SAXParseException& e) {
        return XmlError{XmlError::Kind::Malformed, e.message(), e.getLineNumber(),
                        e.getColumnNumber() + 1};
    } catch (const Poco::Exception& e) {
        return XmlError{XmlError::Kind::Malformed, e.displayText()};
    }
    json result = builder.takeResult();
    if (result.is_null())  // cannot happen for a well-formed document; be safe anyway
        return XmlError{XmlError::Kind::Malformed, "no root element"};
    return result;
}

}  // namespace flowgate::http
