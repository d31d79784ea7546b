#include "runtime/json_parse.hpp"

#include <memory>
#include <string>

#include <simdjson.h>

namespace flowgate::runtime {

namespace {

using nlohmann::json;

// Documents up to this size reuse their thread's parser; its buffers grow to the largest
// document it has seen (about 14 bytes per input byte), so a bigger one gets a parser of
// its own.
constexpr std::size_t kReusedParserBytes = 64 * 1024;

json toJson(simdjson::dom::element element);

json toJson(simdjson::dom::object object) {
    json value = json::object();
    auto& members = value.get_ref<json::object_t&>();
    for (const auto [key, member] : object) {
        // Stored messages are nlohmann's dumps, whose keys come sorted: the end is the
        // place. A duplicate key keeps its last value, as in nlohmann's parse.
        if (members.empty() || std::prev(members.end())->first < key)
            members.emplace_hint(members.end(), key, toJson(member));
        else
            members.insert_or_assign(std::string(key), toJson(member));
    }
    return value;
}

json toJson(simdjson::dom::array array) {
    json value = json::array();
    auto& elements = value.get_ref<json::array_t&>();
    elements.reserve(array.size());
    for (const auto element : array) elements.push_back(toJson(element));
    return value;
}

json toJson(simdjson::dom::element element) {
    using Type = simdjson::dom::element_type;
    switch (element.type()) {
        case Type::OBJECT:
            return toJson(simdjson::dom::object(element.get_object().value_unsafe()));
        case Type::ARRAY:
            return toJson(simdjson::dom::array(element.get_array().value_unsafe()));
        case Type::STRING:
            return json(json::string_t(element.get_string().value_unsafe()));
        case Type::INT64: {
            const std::int64_t number = element.get_int64().value_unsafe();
            // nlohmann reads a number without a minus sign as unsigned.
            if (number >= 0) return json(static_cast<json::number_unsigned_t>(number));
            return json(static_cast<json::number_integer_t>(number));
        }
        case Type::UINT64:
            return json(static_cast<json::number_unsigned_t>(element.get_uint64().value_unsafe()));
        case Type::DOUBLE:
            return json(element.get_double().value_unsafe());
        case Type::BOOL:
            return json(element.get_bool().value_unsafe());
        case Type::NULL_VALUE:
            break;
    }
    return json(nullptr);
}

// "-0" is a signed integer zero to nlohmann and an integer zero to simdjson, which cannot
// tell it from "0": text that may hold it goes to nlohmann. A number's minus sign opens the
// text or follows '[', ',' or ':' (and whitespace), which the "-0" inside ids and dates
// ("0f3c2a9e-0b7d…", "2026-12-02") does not.
bool mayHoldMinusZero(std::string_view text) {
    for (std::size_t at = text.find("-0"); at != std::string_view::npos;
         at = text.find("-0", at + 1)) {
        const char next = at + 2 < text.size() ? text[at + 2] : ' ';
        if ((next >= '0' && next <= '9') || next == '.' || next == 'e' || next == 'E')
            continue;  // not a zero: a fraction, an exponent, or no number at all ("-01")
        std::size_t before = at;
        while (before > 0 && (text[before - 1] == ' ' || text[before - 1] == '\t' ||
                              text[before - 1] == '\n' || text[before - 1] == '\r'))
            --before;
        if (before == 0 || text[before - 1] == '[' || text[before - 1] == ',' ||
            text[before - 1] == ':')
            return true;
    }
    return false;
}

// This thread's parser and a padded copy of the text (simdjson reads up to
// SIMDJSON_PADDING bytes past the end of its input), both reused from one parse to the next.
struct ThreadParser {
    simdjson::dom::parser parser;
    std::string text;
};

ThreadParser& threadParser() {
    thread_local ThreadParser parser;
    return parser;
}

simdjson::error_code parse(std::string_view text, simdjson::dom::element& root,
                           std::unique_ptr<simdjson::dom::parser>& ownParser) {
    if (text.size() > kReusedParserBytes) {
        ownParser = std::make_unique<simdjson::dom::parser>();
        return ownParser->parse(text.data(), text.size(), true).get(root);
    }
    ThreadParser& reused = threadParser();
    reused.text.reserve(kReusedParserBytes + simdjson::SIMDJSON_PADDING);
    reused.text.assign(text);
    return reused.parser.parse(reused.text.data(), reused.text.size(), false).get(root);
}

}  // namespace

json parseJson(std::string_view text) {
    if (!mayHoldMinusZero(text)) {
        // A large document's parser is freed after it: its buffers grow with the text.
        std::unique_ptr<simdjson::dom::parser> ownParser;
        simdjson::dom::element root;
        if (parse(text, root, ownParser) == simdjson::SUCCESS) return toJson(root);
        // Refused (a syntax error, but also an integer beyond 64 bits, a BOM or a depth
        // past simdjson's limit, which nlohmann reads): nlohmann gives its verdict.
    }
    return json::parse(text);
}

}  // namespace flowgate::runtime
