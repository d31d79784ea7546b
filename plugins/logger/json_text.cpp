#include "json_text.hpp"

#include <algorithm>

namespace flowgate::plugins::logger {

namespace {

// A byte dump copies as it is (ensure_ascii off): printable ASCII but the quote and the
// backslash. Control characters are escaped; bytes >= 0x80 are checked as UTF-8 first.
bool copiedAsIs(char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte >= 0x20 && byte < 0x80 && c != '"' && c != '\\';
}

}  // namespace

JsonText::JsonText(std::string& out)
    : out_(out),
      serializer_(nlohmann::detail::output_adapter<char>(out), ' ',
                  nlohmann::json::error_handler_t::replace) {}

void JsonText::value(const nlohmann::json& value) {
    switch (value.type()) {
        case nlohmann::json::value_t::object: {
            const auto& object = value.get_ref<const nlohmann::json::object_t&>();
            out_ += '{';
            bool first = true;
            for (const auto& [key, item] : object) {
                if (!first) out_ += ',';
                first = false;
                string(key, nullptr);
                out_ += ':';
                this->value(item);
            }
            out_ += '}';
            return;
        }
        case nlohmann::json::value_t::array: {
            const auto& array = value.get_ref<const nlohmann::json::array_t&>();
            out_ += '[';
            bool first = true;
            for (const auto& item : array) {
                if (!first) out_ += ',';
                first = false;
                this->value(item);
            }
            out_ += ']';
            return;
        }
        case nlohmann::json::value_t::string:
            string(value.get_ref<const std::string&>(), &value);
            return;
        default:  // numbers, booleans, null, binary: as dump writes them
            serializer_.dump(value, false, false, 0);
    }
}

void JsonText::string(std::string_view text) { string(text, nullptr); }

void JsonText::string(std::string_view text, const nlohmann::json* json) {
    if (std::all_of(text.begin(), text.end(), copiedAsIs)) {
        out_ += '"';
        out_.append(text);
        out_ += '"';
        return;
    }
    if (json) {
        serializer_.dump(*json, false, false, 0);
        return;
    }
    serializer_.dump(nlohmann::json(std::string(text)), false, false, 0);
}

}  // namespace flowgate::plugins::logger
