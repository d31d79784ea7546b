// XML request bodies as JSON message bodies, by one rule.
//
// THE RULE
//
//   1. The document becomes an object with one key, the root element's name:
//        <order id="7"><item>a</item></order>   ->   {"order": {"@id": "7", "item": "a"}}
//   2. An element with no attributes and no child elements is its text, exactly as written
//      (whitespace kept; "" when empty):   <name> Ada </name>   ->   " Ada "
//   3. Any other element is an object:
//      - each attribute is a key "@<name>" with its value;
//      - each child element is a key "<name>" with that child's value (rules 2 and 3);
//        a name that occurs more than once among the children becomes an array of their
//        values in document order (a name that occurs once is never an array);
//      - the element's own text (its text pieces between the children, joined in document
//        order, leading and trailing whitespace removed) is the key "#text", present only
//        when that is not empty:   <p>Hello <b>you</b> there</p>
//                                  ->   {"p": {"#text": "Hello  there", "b": "you"}}
//   4. Text is character data with references decoded (&amp; -> &, &#233; -> é) plus
//      CDATA sections taken literally. Comments and processing instructions are dropped.
//      Every value is a string: no numbers, booleans or nulls are guessed.
//   5. Names are kept as written, prefix included: <soap:Envelope xmlns:soap="…"> gives the
//      key "soap:Envelope" with "@xmlns:soap" among its attributes. Namespace declarations
//      are attributes like any other; prefixes are not resolved to URIs.
//   6. JSON objects do not keep key order: siblings with different names lose their
//      relative order (repeated names keep theirs, in the array).
//
// The encoding comes from the document (byte-order mark or XML declaration; UTF-8 when
// neither); the charset parameter of the Content-Type is not consulted. Output is UTF-8.
//
// REFUSED
//   - any document type declaration (<!DOCTYPE …>), with or without an internal subset:
//     so no entity other than the five predefined ones and character references exists,
//     no external entity or DTD is ever fetched, and an entity-expansion bomb is refused
//     at its DOCTYPE, before a single entity is declared;
//   - nesting deeper than XmlLimits::maxDepth elements;
//   - more than XmlLimits::maxNodes elements plus attributes (memory is bounded by it);
//   - anything that is not well-formed, with the parser's line and column (both from 1).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

namespace flowgate::http {

struct XmlLimits {
    int maxDepth = 256;
    std::size_t maxNodes = 65536;  // elements + attributes
};

struct XmlError {
    enum class Kind { Malformed, DtdRefused, TooDeep, TooLarge };
    Kind kind;
    std::string message;  // what was wrong, without the position
    int line = 0;         // 1-based; 0 when unknown
    int column = 0;       // 1-based; 0 when unknown
};

std::variant<nlohmann::json, XmlError> xmlToJson(std::string_view xml, const XmlLimits& limits);

}  // namespace flowgate::http
