// /resume/{executionId}/{token}: resumes an execution paused by a waiting step
// (StepContext::waitForResume). The token is the only credential: 128 random bits that
// only the execution's messages (meta.resumeUrl) carry.
#pragma once

#include <Poco/Net/HTTPRequestHandler.h>

#include "http/webhook_handler.hpp"

namespace flowgate::http {

class ResumeHandler final : public Poco::Net::HTTPRequestHandler {
public:
    explicit ResumeHandler(WebhookServices& services) : services_(services) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override;

private:
    WebhookServices& services_;
};

}  // namespace flowgate::http
