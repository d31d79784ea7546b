#include "signing/oauth1_signer.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include "flowgate/common/byte_encoding.hpp"
#include "flowgate/common/hmac.hpp"
#include "flowgate/common/secret_bytes.hpp"

namespace flowgate::plugins::signing {

namespace {

constexpr std::string_view kSignatureMethod = "HMAC-SHA1";
constexpr std::string_view kVersion = "1.0";

// RFC 5849 3.4.1.2: lower-case scheme and host, the port only if it is not the scheme's
// default, the path (at least "/"), no query or fragment.
std::string baseStringUri(const Poco::URI& uri) {
    std::string scheme = uri.getScheme();
    if (scheme != "http" && scheme != "https")
        throw std::invalid_argument("OAuth 1.0a signs http and https URLs only");
    std::string host = uri.getHost();
    if (host.empty()) throw std::invalid_argument("OAuth 1.0a needs an absolute URL");
    std::transform(host.begin(), host.end(), host.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string out = scheme + "://" + host;
    const unsigned short port = uri.getPort();
    if ((scheme == "http" && port != 80) || (scheme == "https" && port != 443))
        out += ":" + std::to_string(port);
    // The path as it goes on the request line, which is how the server sees it.
    Poco::URI pathOnly;
    pathOnly.setPath(uri.getPath());
    const std::string path = pathOnly.getPathEtc();
    out += path.empty() ? "/" : path;
    return out;
}

// Poco::URI::decode's own plusAsSpace only applies after a '?' in its input, so '+' is
// turned into a space here, before "%2B" is decoded into a real plus.
std::string plusAsSpace(std::string text) {
    std::replace(text.begin(), text.end(), '+', ' ');
    return text;
}

// RFC 5849 3.4.1.3.1: the query is application/x-www-form-urlencoded ("+" is a space).
void addQueryParameters(const std::string& rawQuery, OAuth1Parameters& into) {
    if (rawQuery.empty()) return;
    std::size_t start = 0;
    while (start <= rawQuery.size()) {
        std::size_t end = rawQuery.find('&', start);
        if (end == std::string::npos) end = rawQuery.size();
        const std::string pair = rawQuery.substr(start, end - start);
        if (!pair.empty()) {
            const std::size_t equals = pair.find('=');
            std::string name, value;
            Poco::URI::decode(plusAsSpace(pair.substr(0, equals)), name);
            if (equals != std::string::npos)
                Poco::URI::decode(plusAsSpace(pair.substr(equals + 1)), value);
            into.emplace_back(std::move(name), std::move(value));
        }
        start = end + 1;
    }
}

OAuth1Parameters protocolParameters(const OAuth1Request& request,
                                    const OAuth1Credentials& credentials) {
    return {{"oauth_consumer_key", credentials.consumerKey},
            {"oauth_nonce", request.nonce},
            {"oauth_signature_method", std::string(kSignatureMethod)},
            {"oauth_timestamp", request.timestamp},
            {"oauth_token", credentials.token},
            {"oauth_version", std::string(kVersion)}};
}

}  // namespace

// Written out rather than Poco::URI::encode, which leaves sub-delimiters such as '!' and
// '*' alone unless told each one: the RFC's rule is one line.
std::string oauth1PercentEncode(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size() * 3);
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out.push_back(ch);
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 15]);
        }
    }
    return out;
}

std::string oauth1SignatureBaseString(const OAuth1Request& request,
                                      const OAuth1Credentials& credentials) {
    Poco::URI uri;
    OAuth1Parameters parameters;
    try {
        uri = Poco::URI(request.url);
        addQueryParameters(uri.getRawQuery(), parameters);
    } catch (const Poco::Exception& e) {
        throw std::invalid_argument("cannot sign a malformed URL: " + e.message());
    }
    const std::string base = baseStringUri(uri);
    parameters.insert(parameters.end(), request.bodyParameters.begin(),
                      request.bodyParameters.end());
    for (auto& parameter : protocolParameters(request, credentials))
        parameters.push_back(std::move(parameter));

    // 3.4.1.3.2: encode names and values, sort by name then value (byte order), join.
    std::vector<std::pair<std::string, std::string>> encoded;
    encoded.reserve(parameters.size());
    for (const auto& [name, value] : parameters)
        encoded.emplace_back(oauth1PercentEncode(name), oauth1PercentEncode(value));
    std::sort(encoded.begin(), encoded.end());
    std::string normalized;
    for (const auto& [name, value] : encoded) {
        if (!normalized.empty()) normalized += '&';
        normalized += name + "=" + value;
    }

    std::string method = request.method;
    std::transform(method.begin(), method.end(), method.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return method + "&" + oauth1PercentEncode(base) + "&" + oauth1PercentEncode(normalized);
}

std::string oauth1Signature(const OAuth1Request& request, const OAuth1Credentials& credentials) {
    std::string key = oauth1PercentEncode(credentials.consumerSecret) + "&" +
                      oauth1PercentEncode(credentials.tokenSecret);
    const auto mac = common::computeHmac(common::HmacAlgorithm::sha1, key,
                                         oauth1SignatureBaseString(request, credentials));
    common::wipe(key);
    // Thrown without key material.
    if (!mac) throw std::runtime_error("OpenSSL could not compute an HMAC");
    return common::encodeBase64(*mac);
}

std::string oauth1AuthorizationHeader(const OAuth1Request& request,
                                      const OAuth1Credentials& credentials) {
    OAuth1Parameters parameters = protocolParameters(request, credentials);
    parameters.emplace_back("oauth_signature", oauth1Signature(request, credentials));
    std::sort(parameters.begin(), parameters.end());
    std::string header = "OAuth ";
    for (std::size_t i = 0; i < parameters.size(); ++i) {
        if (i > 0) header += ", ";
        header += oauth1PercentEncode(parameters[i].first) + "=\"" +
                  oauth1PercentEncode(parameters[i].second) + "\"";
    }
    return header;
}

std::string oauth1Nonce() {
    return common::encodeHex(common::randomBytes(16));
}

}  // namespace flowgate::plugins::signing
