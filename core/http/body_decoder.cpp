#include "http/body_decoder.hpp"

#include <algorithm>
#include <cctype>

namespace flowgate::http {

using nlohmann::json;

namespace {

std::string mediaType(std::string_view contentType) {
    std::string type(contentType.substr(0, contentType.find(';')));
    type.erase(std::remove_if(type.begin(), type.end(), [](unsigned char c) { return std::isspace(c); }),
               type.end());
    std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::tolower(c); });
    return type;
}

bool isJsonType(const std::string& type) {
    return type == "application/json" ||
           (type.size() > 5 && type.compare(type.size() - 5, 5, "+json") == 0);
}

// Nesting depth of a JSON text, ignoring brackets inside strings. Linear and cheap, so
// hostile depth is refused before the parser builds anything.
int nestingDepth(std::string_view text) {
    int depth = 0, deepest = 0;
    bool inString = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (inString) {
            if (c == '\\') ++i;
            else if (c == '"') inString = false;
        } else if (c == '"') {
            inString = true;
        } else if (c == '[' || c == '{') {
            deepest = std::max(deepest, ++depth);
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return deepest;
}

int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool formDecode(std::string_view in, std::string& out) {
    out.clear();
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '+') {
            out += ' ';
        } else if (in[i] == '%') {
            if (i + 2 >= in.size()) return false;
            const int hi = hexValue(in[i + 1]), lo = hexValue(in[i + 2]);
            if (hi < 0 || lo < 0) return false;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += in[i];
        }
    }
    return true;
}

}  // namespace

bool parseFormEncoded(std::string_view text, json& out) {
    out = json::object();
    std::string key, value;
    while (!text.empty()) {
        const std::size_t amp = text.find('&');
        std::string_view pair = text.substr(0, amp);
        text = amp == std::string_view::npos ? std::string_view{} : text.substr(amp + 1);
        if (pair.empty()) continue;
        const std::size_t eq = pair.find('=');
        if (!formDecode(pair.substr(0, eq), key)) return false;
        if (!formDecode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), value))
            return false;
        auto it = out.find(key);
        if (it == out.end()) {
            out[key] = value;
        } else {
            if (!it->is_array()) *it = json::array({*it});
            it->push_back(value);
        }
    }
    return true;
}

std::variant<json, DecodeError> decodeBody(std::string_view contentType, std::string_view body) {
    const std::string type = mediaType(contentType);
    if (type.empty() && body.empty()) return json::object();

    if (isJsonType(type)) {
        if (nestingDepth(body) > kMaxJsonDepth)
            return DecodeError{400, "malformed_json",
                               "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels"};
        try {
            return json::parse(body);
        } catch (const json::parse_error& e) {
            return DecodeError{400, "malformed_json", e.what()};
        }
    }
    if (type == "application/x-www-form-urlencoded") {
        json form;
        if (!parseFormEncoded(body, form))
            return DecodeError{400, "malformed_form", "invalid percent-escape in form body"};
        return form;
    }
    return DecodeError{415, "unsupported_media_type",
                       "content type '" + (type.empty() ? std::string("(none)") : type) +
                           "' is not supported; send application/json or "
                           "application/x-www-form-urlencoded"};
}

}  // namespace flowgate::http
