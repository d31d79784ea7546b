// A scripted answer for a LocalHttpServer handler: status, headers and body.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <Poco/Net/HTTPServerResponse.h>

namespace flowgate::test {

struct CannedResponse {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::string contentType = "application/json";
};

inline void sendCanned(Poco::Net::HTTPServerResponse& response, const CannedResponse& answer) {
    response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(answer.status));
    for (const auto& [name, value] : answer.headers) response.set(name, value);
    response.setContentType(answer.contentType);
    response.sendBuffer(answer.body.data(), answer.body.size());
}

}  // namespace flowgate::test
