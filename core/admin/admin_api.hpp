// The admin API, version 1: flows (list, pause, resume), executions (history) and dead
// letters (list, replay, delete), as JSON. Authentication is the server's job
// (admin/admin_server.hpp); this only sees authenticated /api/ calls.
#pragma once

#include <string>

#include "flow/flow_catalog.hpp"
#include "http/http_message.hpp"
#include "queue/queue.hpp"

namespace flowgate::admin {

class AdminApi {
public:
    // `queue`, `catalog` must outlive the API. `publicBaseUrl` ("http://host:port") makes
    // the flows' webhook URLs.
    AdminApi(flow::FlowCatalog& catalog, queue::Queue& queue, std::string publicBaseUrl);

    // Any thread, many at once. Never throws: bad input is a 400 with the reason, an
    // unknown path 404, a wrong method 405 (with Allow), a store that cannot answer 503.
    void handle(const http::Request& request, http::Response& response) const;

private:
    void route(const http::Request& request, http::Response& response) const;
    void listFlows(const http::Request& request, http::Response& response) const;
    void pauseFlow(const std::string& id, bool paused, http::Response& response) const;
    void listExecutions(const http::Request& request, http::Response& response) const;
    void showExecution(const std::string& id, http::Response& response) const;
    void listDeadLetters(const http::Request& request, http::Response& response) const;
    void replayDeadLetter(const std::string& id, http::Response& response) const;
    void replayDeadLetters(const http::Request& request, http::Response& response) const;
    void deleteDeadLetter(const std::string& id, http::Response& response) const;

    flow::FlowCatalog& catalog_;
    queue::Queue& queue_;
    const std::string publicBaseUrl_;
};

}  // namespace flowgate::admin
