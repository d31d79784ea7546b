// /resume/{executionId}/{token}: resumes an execution paused by a waiting step
// (StepContext::waitForResume). The token is the only credential: 128 random bits that
// only the execution's messages (meta.resumeUrl) carry.
#pragma once

#include "webhooks/webhook_handler.hpp"

namespace flowgate::http {

// Stateless, like WebhookHandler: called on the edge's handler threads.
class ResumeHandler {
public:
    explicit ResumeHandler(WebhookServices& services) : services_(services) {}
    void handle(const Request& request, Response& response);

private:
    WebhookServices& services_;
};

}  // namespace flowgate::http
