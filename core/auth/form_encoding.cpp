#include "auth/form_encoding.hpp"

#include <algorithm>
#include <cctype>

namespace flowgate::auth {

namespace {

int hexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<std::string> decodeComponent(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '+') {
            out.push_back(' ');
        } else if (c == '%') {
            if (i + 2 >= text.size()) return std::nullopt;
            const int high = hexDigit(text[i + 1]);
            const int low = hexDigit(text[i + 2]);
            if (high < 0 || low < 0) return std::nullopt;
            out.push_back(static_cast<char>(high << 4 | low));
            i += 2;
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

}  // namespace

std::optional<FormParams> decodeFormEncoded(std::string_view text) {
    FormParams params;
    while (!text.empty()) {
        const std::size_t amp = text.find('&');
        const std::string_view pair = text.substr(0, amp);
        text = amp == std::string_view::npos ? std::string_view() : text.substr(amp + 1);
        if (pair.empty()) continue;
        const std::size_t eq = pair.find('=');
        auto name = decodeComponent(pair.substr(0, eq));
        auto value = decodeComponent(eq == std::string_view::npos ? std::string_view()
                                                                  : pair.substr(eq + 1));
        if (!name || !value) return std::nullopt;
        params.emplace_back(std::move(*name), std::move(*value));
    }
    return params;
}

std::string_view queryOf(std::string_view url) {
    const std::size_t question = url.find('?');
    if (question == std::string_view::npos) return {};
    const std::string_view rest = url.substr(question + 1);
    return rest.substr(0, rest.find('#'));
}

bool isFormContentType(std::string_view contentType) {
    const std::string_view media = trim(contentType.substr(0, contentType.find(';')));
    constexpr std::string_view form = "application/x-www-form-urlencoded";
    return std::equal(media.begin(), media.end(), form.begin(), form.end(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == b;
    });
}

}  // namespace flowgate::auth
