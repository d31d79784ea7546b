#include "webhooks/multipart_decoder.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include <Poco/Exception.h>
#include <Poco/MemoryStream.h>
#include <Poco/Net/MessageHeader.h>
#include <Poco/Net/NameValueCollection.h>

#include "text/percent_decoding.hpp"

namespace flowgate::http {

using nlohmann::json;

namespace {

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

std::string trim(const std::string& text) {
    const auto begin = text.find_first_not_of(" \t");
    if (begin == std::string::npos) return {};
    return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

// RFC 2046: 1-70 of DIGIT / ALPHA / '()+_,-./:=? and space, not ending in a space.
bool isValidBoundary(const std::string& boundary) {
    if (boundary.empty() || boundary.size() > 70 || boundary.back() == ' ') return false;
    static const std::string_view extra = "'()+_,-./:=? ";
    return std::all_of(boundary.begin(), boundary.end(), [](unsigned char c) {
        return std::isalnum(c) || extra.find(static_cast<char>(c)) != std::string_view::npos;
    });
}

// RFC 5987 ext-value: charset'language'percent-encoded. UTF-8 and ISO-8859-1 only.
std::optional<std::string> decodeExtValue(const std::string& value) {
    const std::size_t first = value.find('\'');
    if (first == std::string::npos) return std::nullopt;
    const std::size_t second = value.find('\'', first + 1);
    if (second == std::string::npos) return std::nullopt;
    const std::string charset = lower(value.substr(0, first));
    auto decoded = text::percentDecode(std::string_view(value).substr(second + 1), false);
    if (!decoded) return std::nullopt;
    const std::string& bytes = *decoded;
    if (charset == "utf-8") {
        if (!isValidUtf8(bytes)) return std::nullopt;
        return bytes;
    }
    if (charset == "iso-8859-1") {
        std::string utf8;
        for (unsigned char c : bytes) {
            if (c < 0x80) {
                utf8 += static_cast<char>(c);
            } else {
                utf8 += static_cast<char>(0xC0 | (c >> 6));
                utf8 += static_cast<char>(0x80 | (c & 0x3F));
            }
        }
        return utf8;
    }
    return std::nullopt;
}

void addField(json& fields, const std::string& name, std::string value) {
    auto it = fields.find(name);
    if (it == fields.end()) {
        fields.emplace(name, std::move(value));
    } else {
        if (!it->is_array()) *it = json::array({std::move(*it)});
        it->push_back(std::move(value));
    }
}

}  // namespace

ContentDisposition parseContentDisposition(std::string_view value) {
    // Not Poco's splitParameters: it takes every backslash in a quoted string as an escape,
    // while browsers send file names with raw backslashes (old Windows ones a whole
    // C:\dir\file path). Here a backslash escapes only '"' and itself.
    ContentDisposition result;
    std::map<std::string, std::string> parameters;
    std::size_t i = 0;
    auto skipSpace = [&] {
        while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
    };
    const std::size_t semicolon = std::min(value.find(';'), value.size());
    result.type = lower(trim(std::string(value.substr(0, semicolon))));
    i = semicolon;
    while (i < value.size()) {
        ++i;  // the ';'
        skipSpace();
        const std::size_t nameStart = i;
        while (i < value.size() && value[i] != '=' && value[i] != ';') ++i;
        const std::string name = lower(trim(std::string(value.substr(nameStart, i - nameStart))));
        std::string parameterValue;
        if (i < value.size() && value[i] == '=') {
            ++i;
            skipSpace();
            if (i < value.size() && value[i] == '"') {
                for (++i; i < value.size() && value[i] != '"'; ++i) {
                    if (value[i] == '\\' && i + 1 < value.size() && (value[i + 1] == '"' || value[i + 1] == '\\'))
                        ++i;
                    parameterValue += value[i];
                }
                if (i < value.size()) ++i;  // the closing quote
                while (i < value.size() && value[i] != ';') ++i;
            } else {
                const std::size_t valueStart = i;
                while (i < value.size() && value[i] != ';') ++i;
                parameterValue = trim(std::string(value.substr(valueStart, i - valueStart)));
            }
        }
        if (!name.empty()) parameters.emplace(name, std::move(parameterValue));  // first one wins
    }
    if (auto it = parameters.find("name"); it != parameters.end()) result.name = it->second;
    if (auto it = parameters.find("filename*"); it != parameters.end())
        result.fileName = decodeExtValue(it->second);
    if (auto it = parameters.find("filename"); !result.fileName && it != parameters.end())
        result.fileName = it->second;
    return result;
}

std::variant<MultipartBody, MultipartError> decodeMultipart(std::string_view contentType,
                                                            std::string_view body) {
    std::string mediaType;
    Poco::Net::NameValueCollection parameters;
    try {
        Poco::Net::MessageHeader::splitParameters(std::string(contentType), mediaType, parameters);
    } catch (const Poco::Exception&) {
        return MultipartError{"the Content-Type header cannot be parsed"};
    }
    const std::string boundary = parameters.get("boundary", "");
    if (boundary.empty())
        return MultipartError{"the Content-Type has no boundary parameter"};
    if (!isValidBoundary(boundary))
        return MultipartError{"the boundary parameter is not a valid RFC 2046 boundary"};

    const std::string delimiter = "--" + boundary;
    const std::string lineDelimiter = "\r\n" + delimiter;

    std::size_t pos;  // where the current delimiter starts
    if (body.substr(0, delimiter.size()) == delimiter) {
        pos = 0;
    } else {
        pos = body.find(lineDelimiter);
        if (pos == std::string_view::npos)
            return MultipartError{"the body does not contain the boundary delimiter"};
        pos += 2;
    }

    MultipartBody result;
    for (int partNumber = 1;; ++partNumber) {
        std::size_t after = pos + delimiter.size();
        if (body.substr(after, 2) == "--") break;  // the closing delimiter; the rest is epilogue
        while (after < body.size() && (body[after] == ' ' || body[after] == '\t')) ++after;
        if (body.substr(after, 2) != "\r\n")
            return MultipartError{"a boundary delimiter is not followed by CRLF"};
        const std::size_t partStart = after + 2;
        const std::size_t next = body.find(lineDelimiter, partStart);
        if (next == std::string_view::npos)
            return MultipartError{"the closing boundary delimiter is missing (truncated body?)"};
        const std::string_view part = body.substr(partStart, next - partStart);
        pos = next + 2;

        const std::string where = "part " + std::to_string(partNumber) + ": ";
        std::string_view headerBlock, content;
        if (part.substr(0, 2) == "\r\n") {
            content = part.substr(2);
        } else {
            const std::size_t blank = part.find("\r\n\r\n");
            if (blank == std::string_view::npos)
                return MultipartError{where + "no blank line after the part headers"};
            headerBlock = part.substr(0, blank + 4);
            content = part.substr(blank + 4);
        }
        Poco::Net::MessageHeader headers;
        try {
            Poco::MemoryInputStream in(headerBlock.data(), headerBlock.size());
            headers.read(in);
        } catch (const Poco::Exception& e) {
            return MultipartError{where + "bad part headers: " + e.message()};
        }
        const std::string dispositionValue = headers.get("Content-Disposition", "");
        if (dispositionValue.empty()) return MultipartError{where + "no Content-Disposition header"};
        ContentDisposition disposition = parseContentDisposition(dispositionValue);
        const std::string field = disposition.name.value_or("");
        if (!isValidUtf8(field)) return MultipartError{where + "the part name is not UTF-8"};

        if (disposition.fileName) {
            if (disposition.fileName->empty() && content.empty()) continue;  // no file chosen
            std::string type = trim(headers.get("Content-Type", ""));
            if (type.empty()) type = "application/octet-stream";
            result.files.push_back(
                MultipartFile{field, std::move(*disposition.fileName), std::move(type), content});
        } else {
            if (!disposition.name)
                return MultipartError{where + "Content-Disposition has neither name nor filename"};
            if (!isValidUtf8(content))
                return MultipartError{where + "the value of field '" + field + "' is not UTF-8"};
            addField(result.fields, field, std::string(content));
        }
    }
    return result;
}

}  // namespace flowgate::http
