#include "webhooks/json_validator.hpp"

#include <memory>

#include <simdjson.h>
#include <nlohmann/json.hpp>

namespace flowgate::http {

namespace {

// Bodies up to this size reuse their thread's parser; its buffers grow to the largest
// document it has seen (about 14 bytes per input byte), so a bigger body gets a parser of
// its own that is freed after: 64 handler threads never hold 1 MiB bodies' buffers.
constexpr std::size_t kReusedParserBytes = 64 * 1024;

// The parser of this thread for `maxDepth`; its buffers are allocated once and reused.
simdjson::dom::parser& threadParser(int maxDepth) {
    thread_local simdjson::dom::parser parser;
    thread_local int depth = 0;
    if (depth != maxDepth) {
        if (parser.allocate(kReusedParserBytes, static_cast<std::size_t>(maxDepth)) !=
            simdjson::SUCCESS)
            throw std::bad_alloc();
        depth = maxDepth;
    }
    return parser;
}

// nlohmann's own verdict, with the depth limit: its SAX parser builds nothing.
struct DepthLimitedAcceptor : nlohmann::json_sax<nlohmann::json> {
    explicit DepthLimitedAcceptor(int maxDepth) : maxDepth(maxDepth) {}
    bool null() override { return true; }
    bool boolean(bool) override { return true; }
    bool number_integer(number_integer_t) override { return true; }
    bool number_unsigned(number_unsigned_t) override { return true; }
    bool number_float(number_float_t, const string_t&) override { return true; }
    bool string(string_t&) override { return true; }
    bool binary(binary_t&) override { return true; }
    bool start_object(std::size_t) override { return ++depth <= maxDepth; }
    bool key(string_t&) override { return true; }
    bool end_object() override { return --depth, true; }
    bool start_array(std::size_t) override { return ++depth <= maxDepth; }
    bool end_array() override { return --depth, true; }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
        return false;
    }
    const int maxDepth;
    int depth = 0;
};

}  // namespace

std::string_view withoutUtf8Bom(std::string_view text) {
    static constexpr std::string_view bom = "\xEF\xBB\xBF";
    return text.substr(0, bom.size()) == bom ? text.substr(bom.size()) : text;
}

bool isValidJson(std::string_view text, int maxDepth, std::size_t readableAfterEnd) {
    // nlohmann skips one BOM; simdjson would call it a structure error.
    text = withoutUtf8Bom(text);
    std::unique_ptr<simdjson::dom::parser> ownParser;
    simdjson::dom::parser* parser;
    if (text.size() <= kReusedParserBytes) {
        parser = &threadParser(maxDepth);
    } else {
        ownParser = std::make_unique<simdjson::dom::parser>();
        if (ownParser->allocate(text.size(), static_cast<std::size_t>(maxDepth)) !=
            simdjson::SUCCESS)
            throw std::bad_alloc();
        parser = ownParser.get();
    }
    // The DOM parser (not On-Demand) checks every string, escape and number before it
    // answers; it copies the text only when the caller's buffer lacks the padding it reads.
    const bool inPlace = readableAfterEnd >= simdjson::SIMDJSON_PADDING;
    const auto error = parser->parse(text.data(), text.size(), !inPlace).error();
    if (error == simdjson::SUCCESS) return true;
    // Integers beyond 64 bits are doubles to nlohmann, NUMBER_ERROR to simdjson 3.0; such rare
    // bodies are judged by nlohmann itself (which also refuses what no double holds), but
    // not past a NUL, where nlohmann's input ends.
    if (error == simdjson::NUMBER_ERROR && text.find('\0') == std::string_view::npos) {
        DepthLimitedAcceptor acceptor{maxDepth};
        return nlohmann::json::sax_parse(text, &acceptor);
    }
    return false;
}

}  // namespace flowgate::http
