#include "request_step.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

#include <Poco/String.h>

#include "flowgate/common/byte_encoding.hpp"
#include "flowgate/common/utf8.hpp"
#include "http_auth.hpp"
#include "flowgate/outbound_http/outbound_http.hpp"
#include "flowgate/outbound_http/outbound_url.hpp"
#include "flowgate/outbound_http/answer_json.hpp"
#include "flowgate/outbound_http/retry_after.hpp"

namespace flowgate::plugins::http {

namespace {

using nlohmann::json;

// An upstream that asks for more than this is treated as failing, so a flow cannot
// wait on it for ever without counting attempts.
constexpr std::chrono::hours kMaxRetryAfter{1};

bool isJsonType(const std::string& contentType) {
    const std::string type =
        Poco::toLower(Poco::trim(contentType.substr(0, contentType.find(';'))));
    return type == "application/json" ||
           (type.size() > 5 && type.compare(type.size() - 5, 5, "+json") == 0);
}

// JSON when the server says so and it parses (within the depth bound); otherwise text. Bytes that are not UTF-8
// cannot travel in a message, so such a body is base64 with "bodyEncoding".
void putBody(json& response, const net::OutboundResponse& answer) {
    if (isJsonType(answer.header("content-type"))) {
        json parsed = net::parseAnswerJson(answer.body);
        if (!parsed.is_discarded()) {
            response["body"] = std::move(parsed);
            return;
        }
    }
    if (common::isValidUtf8(answer.body)) {
        response["body"] = answer.body;
    } else {
        response["body"] = common::encodeBase64(answer.body);
        response["bodyEncoding"] = "base64";
    }
}

// {status, headers, body}; a repeated header's values are joined with ", ".
json responseObject(const net::OutboundResponse& answer) {
    json headers = json::object();
    for (const auto& [name, value] : answer.headers) {
        auto it = headers.find(name);
        if (it == headers.end())
            headers[name] = value;
        else
            *it = it->get<std::string>() + ", " + value;
    }
    json response = {{"status", answer.status}, {"headers", std::move(headers)}};
    putBody(response, answer);
    return response;
}

class RequestStep final : public StepBase {
public:
    RequestStep(std::shared_ptr<const RequestConfig> config, bool authorized)
        : config_(std::move(config)), authorized_(authorized) {}

protected:
    void run(const Message& input, StepContext& context) override {
        const RequestConfig& c = *config_;
        net::OutboundPolicy policy = net::policyFromEngineSettings(context.engineSettings());
        policy.timeout = c.timeout;
        policy.connectTimeout = std::min(policy.connectTimeout, c.timeout);
        policy.maxRedirects = c.followRedirects ? policy.maxRedirects : 0;
        policy.maxResponseBytes = c.maxResponseBytes;
        policy.verifyTls = c.verifyTls;
        policy.caFile = c.caFile;

        std::string secretHeader;
        const net::OutboundRequest request = buildRequest(input, context, secretHeader);
        if (!secretHeader.empty()) policy.secretHeaders.push_back(secretHeader);
        const net::OutboundResponse answer = net::send(request, policy);
        const std::string from = "HTTP " + std::to_string(answer.status) + " " + answer.reason +
                                 " from " + net::parseOutboundUrl(c.url).redacted();
        if (answer.status == 429) {
            const auto delay =
                net::parseRetryAfter(answer.header("retry-after"), std::chrono::system_clock::now());
            if (delay && *delay <= kMaxRetryAfter) {
                // At least a second: "Retry-After: 0" must not make a busy loop.
                context.retryLater(std::max<std::chrono::milliseconds>(*delay, std::chrono::seconds(1)),
                                   from);
                return;
            }
            throw std::runtime_error(from);
        }
        if (answer.status >= 500 || answer.status == 408) throw std::runtime_error(from);
        // The server refused this request as it is: the same request can only be refused
        // again, so the item is dead-lettered at once instead of retried.
        if (answer.status >= 400 && c.failOn4xx) throw PermanentFailure(from);

        Message out = input;
        json response = responseObject(answer);
        if (c.output == OutputMode::merge) {
            if (!out.body.is_object())
                throw std::runtime_error(
                    std::string("output \"merge\" needs an object message body, not ") +
                    out.body.type_name());
            out.body["response"] = std::move(response);
        } else {
            out.body = std::move(response);
        }
        context.emit(std::move(out));
    }

private:
    // `secretHeader` is set to the name of the credential's header, if any.
    net::OutboundRequest buildRequest(const Message& input, const StepContext& context,
                                      std::string& secretHeader) const {
        const RequestConfig& c = *config_;
        net::OutboundRequest request;
        request.method = c.method;
        request.url = c.url;
        request.headers = c.headers;
        if (c.body != BodySource::none) {
            request.body = (c.body == BodySource::message ? input.body : c.fixedBody).dump();
            const bool typed = std::any_of(c.headers.begin(), c.headers.end(), [](const auto& h) {
                return Poco::icompare(h.first, "content-type") == 0;
            });
            if (!typed) request.headers.emplace_back("Content-Type", "application/json");
        }
        if (authorized_) {
            AuthHeader auth = authHeaderFrom(context.credential());
            secretHeader = auth.name;
            request.headers.emplace_back(std::move(auth.name), std::move(auth.value));
        }
        return request;
    }

    const std::shared_ptr<const RequestConfig> config_;
    const bool authorized_;
};

}  // namespace

std::unique_ptr<Step> makeRequestStep(std::shared_ptr<const RequestConfig> config,
                                      bool authorized) {
    return std::make_unique<RequestStep>(std::move(config), authorized);
}

}  // namespace flowgate::plugins::http
