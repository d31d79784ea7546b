#include "support/fake_x_api.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <sstream>

#include <Poco/Base64Encoder.h>
#include <Poco/HMACEngine.h>
#include <Poco/SHA1Engine.h>
#include <Poco/URI.h>
#include <nlohmann/json.hpp>

namespace flowgate::test {

namespace {

std::string decode(const std::string& text) {
    std::string out;
    Poco::URI::decode(text, out);  // RFC 3986 encoding: '+' is a plus
    return out;
}

// `OAuth k="v", k="v"` into decoded pairs; an empty map if it is not that shape.
std::map<std::string, std::string> authorizationParameters(const std::string& header) {
    std::map<std::string, std::string> out;
    if (header.rfind("OAuth ", 0) != 0) return out;
    std::istringstream in(header.substr(6));
    std::string item;
    while (std::getline(in, item, ',')) {
        item.erase(0, item.find_first_not_of(' '));
        const auto equals = item.find('=');
        if (equals == std::string::npos || item.size() < equals + 3 || item[equals + 1] != '"' ||
            item.back() != '"')
            return {};
        out[decode(item.substr(0, equals))] =
            decode(item.substr(equals + 2, item.size() - equals - 3));
    }
    return out;
}

std::string header(const SeenRequest& request, const std::string& lowerName) {
    const auto it = request.headers.find(lowerName);
    return it == request.headers.end() ? std::string() : it->second;
}

CannedResponse problem(int status, const std::string& title, const std::string& detail) {
    return {status,
            {},
            nlohmann::json{{"title", title}, {"detail", detail}, {"status", status}}.dump(),
            "application/problem+json"};
}

}  // namespace

std::string oauthPercentEncode(const std::string& text) {
    std::string out;
    Poco::URI::encode(text, "!#$&'()*+,/:;=?@[]", out);
    return out;
}

std::string oauthSignature(const std::string& baseString, const std::string& consumerSecret,
                           const std::string& tokenSecret) {
    Poco::HMACEngine<Poco::SHA1Engine> hmac(oauthPercentEncode(consumerSecret) + "&" +
                                            oauthPercentEncode(tokenSecret));
    hmac.update(baseString);
    const auto& digest = hmac.digest();
    std::ostringstream out;
    Poco::Base64Encoder base64(out);
    base64.write(reinterpret_cast<const char*>(digest.data()),
                 static_cast<std::streamsize>(digest.size()));
    base64.close();
    return out.str();
}

FakeXApi::FakeXApi(XApiKeys keys)
    : keys_(std::move(keys)),
      server_([this](const SeenRequest& seen, Poco::Net::HTTPServerRequest&,
                     Poco::Net::HTTPServerResponse& response) {
          sendCanned(response, answer(seen));
      }) {}

void FakeXApi::script(std::vector<CannedResponse> answers) {
    std::lock_guard lock(mutex_);
    script_.assign(answers.begin(), answers.end());
}

std::vector<FakeXApi::Seen> FakeXApi::seen() const {
    std::lock_guard lock(mutex_);
    return seen_;
}

std::vector<std::string> FakeXApi::posted() const {
    std::lock_guard lock(mutex_);
    return posted_;
}

std::string FakeXApi::signatureProblem(const SeenRequest& request) {
    auto oauth = authorizationParameters(header(request, "authorization"));
    if (oauth.empty()) return "no OAuth Authorization header";
    if (oauth["oauth_consumer_key"] != keys_.consumerKey) return "wrong consumer key";
    if (oauth["oauth_token"] != keys_.accessToken) return "wrong token";
    if (oauth["oauth_signature_method"] != "HMAC-SHA1") return "not HMAC-SHA1";
    if (oauth["oauth_version"] != "1.0") return "not version 1.0";
    const long long now = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
    if (std::llabs(now - std::stoll("0" + oauth["oauth_timestamp"])) > 300)
        return "stale timestamp";
    if (oauth["oauth_nonce"].empty() || !nonces_.insert(oauth["oauth_nonce"]).second)
        return "nonce missing or replayed";
    const std::string signature = oauth["oauth_signature"];
    oauth.erase("oauth_signature");

    // Every oauth_* parameter, encoded, sorted, joined. (POST /2/tweets has no query and
    // a JSON body, so nothing else is signed; a query is answered 404 below.)
    std::vector<std::string> pairs;
    for (const auto& [name, value] : oauth)
        pairs.push_back(oauthPercentEncode(name) + "=" + oauthPercentEncode(value));
    std::sort(pairs.begin(), pairs.end());
    std::string parameters;
    for (const auto& pair : pairs) parameters += (parameters.empty() ? "" : "&") + pair;
    const std::string base = request.method + "&" +
                             oauthPercentEncode(server_.url(Poco::URI(request.uri).getPath())) +
                             "&" + oauthPercentEncode(parameters);
    if (oauthSignature(base, keys_.consumerSecret, keys_.accessTokenSecret) != signature)
        return "signature mismatch";
    return {};
}

CannedResponse FakeXApi::answer(const SeenRequest& request) {
    std::lock_guard lock(mutex_);
    Seen seen{request, signatureProblem(request)};
    seen_.push_back(seen);
    if (!seen.signatureProblem.empty()) return problem(401, "Unauthorized", "Unauthorized");
    if (request.method != "POST" || request.uri != "/2/tweets")
        return problem(404, "Not Found", "no such endpoint");
    const auto body = nlohmann::json::parse(request.body, nullptr, false);
    if (!body.is_object() || !body.contains("text") || !body.at("text").is_string() ||
        header(request, "content-type").rfind("application/json", 0) != 0)
        return problem(400, "Invalid Request", "expected a JSON body with a text");
    if (!script_.empty()) {
        CannedResponse next = script_.front();
        script_.pop_front();
        return next;
    }
    posted_.push_back(body.at("text"));
    const std::string id = std::to_string(1800000000000000000LL + posted_.size());
    return {201,
            {},
            nlohmann::json{
                {"data", {{"id", id}, {"text", body.at("text")}, {"edit_history_tweet_ids", {id}}}}}
                .dump()};
}

}  // namespace flowgate::test
