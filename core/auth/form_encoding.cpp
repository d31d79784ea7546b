#include "auth/form_encoding.hpp"

#include <algorithm>
#include <cctype>

#include "text/percent_decoding.hpp"

namespace flowgate::auth {

namespace {

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
        auto name = text::percentDecode(pair.substr(0, eq), /*plusIsSpace=*/true);
        auto value = text::percentDecode(
            eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
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
