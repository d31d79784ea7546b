#include "cli/admin_client.hpp"

#include <sstream>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

namespace flowgate::cli {

using nlohmann::json;

AdminClient::AdminClient(std::string baseUrl, std::string token)
    : baseUrl_(std::move(baseUrl)), token_(std::move(token)) {
    while (!baseUrl_.empty() && baseUrl_.back() == '/') baseUrl_.pop_back();
}

AdminReply AdminClient::call(const std::string& method, const std::string& pathAndQuery,
                             const json& body) const {
    Poco::URI uri;
    try {
        uri = Poco::URI(baseUrl_);
    } catch (const Poco::Exception&) {
        throw AdminCallError("'" + baseUrl_ + "' is not an admin URL (http://host:port)");
    }
    if (uri.getScheme() != "http" || uri.getHost().empty())
        throw AdminCallError("'" + baseUrl_ + "' is not an admin URL (http://host:port)");
    std::string status;
    std::string text;
    int code = 0;
    try {
        Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
        session.setTimeout(Poco::Timespan(30, 0));
        Poco::Net::HTTPRequest request(method, uri.getPath() + pathAndQuery,
                                       Poco::Net::HTTPMessage::HTTP_1_1);
        request.set("Authorization", "Bearer " + token_);
        request.set("Accept", "application/json");
        const std::string payload = body.is_null() ? std::string() : body.dump();
        if (!payload.empty()) request.setContentType("application/json");
        request.setContentLength(static_cast<std::streamsize>(payload.size()));
        session.sendRequest(request) << payload;
        Poco::Net::HTTPResponse response;
        std::istream& in = session.receiveResponse(response);
        Poco::StreamCopier::copyToString(in, text);
        code = static_cast<int>(response.getStatus());
    } catch (const Poco::Exception& e) {
        throw AdminCallError("cannot reach the admin API at " + baseUrl_ + ": " + e.displayText());
    } catch (const std::exception& e) {
        throw AdminCallError("cannot reach the admin API at " + baseUrl_ + ": " + e.what());
    }
    json parsed = text.empty() ? json() : json::parse(text, nullptr, false);
    if (code == 401) throw AdminCallError("admin API at " + baseUrl_ + " refused the token (401)");
    if (code < 200 || code > 299) {
        std::string message = "HTTP " + std::to_string(code);
        if (parsed.is_object() && parsed.contains("message") && parsed["message"].is_string())
            message += ": " + parsed["message"].get<std::string>();
        throw AdminCallError("admin API at " + baseUrl_ + " answered " + message);
    }
    if (parsed.is_discarded())
        throw AdminCallError("admin API at " + baseUrl_ + " answered something that is not JSON");
    return {code, std::move(parsed)};
}

std::string urlEncode(const std::string& text) {
    std::string out;
    Poco::URI::encode(text, "!#$&'()*+,/:;=?@[]%", out);
    return out;
}

}  // namespace flowgate::cli
