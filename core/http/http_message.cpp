#include "http/http_message.hpp"

#include <Poco/Net/HTTPResponse.h>
#include <Poco/String.h>

namespace flowgate::http {

namespace {

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (Poco::Ascii::toLower(a[i]) != Poco::Ascii::toLower(b[i])) return false;
    return true;
}

}  // namespace

std::string Request::header(std::string_view lowerName, std::string_view fallback) const {
    std::string value;
    bool found = false;
    for (const auto& [name, v] : headers) {
        if (name != lowerName) continue;
        if (found) value += ", ";
        value += v;
        found = true;
    }
    return found ? value : std::string(fallback);
}

bool Request::hasHeader(std::string_view lowerName) const {
    for (const auto& field : headers)
        if (field.first == lowerName) return true;
    return false;
}

std::string_view Request::path() const {
    return std::string_view(target).substr(0, target.find('?'));
}

std::string_view Request::query() const {
    const auto mark = target.find('?');
    return mark == std::string::npos ? std::string_view()
                                     : std::string_view(target).substr(mark + 1);
}

void Response::set(std::string_view name, std::string value) {
    std::erase_if(headers, [&](const auto& field) { return equalsIgnoreCase(field.first, name); });
    headers.emplace_back(std::string(name), std::move(value));
}

bool Response::has(std::string_view name) const {
    for (const auto& field : headers)
        if (equalsIgnoreCase(field.first, name)) return true;
    return false;
}

std::string_view reasonPhrase(int status) {
    const std::string& reason = Poco::Net::HTTPResponse::getReasonForStatus(
        static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
    return reason;
}

}  // namespace flowgate::http
