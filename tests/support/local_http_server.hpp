// A real HTTP server on 127.0.0.1 (port chosen by the system) for tests of components
// that call out: each request is recorded and answered by the test's handler, which runs
// on the server's threads.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace flowgate::test {

struct ReceivedRequest {
    std::string method;
    std::string target;                          // path and query, as on the request line
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;

    std::string header(const std::string& lowerName) const {
        const auto it = headers.find(lowerName);
        return it == headers.end() ? std::string() : it->second;
    }
};

struct CannedResponse {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::string contentType = "application/json";
};

class LocalHttpServer {
public:
    // Thread-safe: called for several requests at once.
    using Handler = std::function<CannedResponse(const ReceivedRequest&)>;

    explicit LocalHttpServer(Handler handler);
    ~LocalHttpServer();
    LocalHttpServer(const LocalHttpServer&) = delete;
    LocalHttpServer& operator=(const LocalHttpServer&) = delete;

    int port() const;
    std::string url(const std::string& target = "") const;  // "http://127.0.0.1:<port><target>"
    // Every request answered so far, in arrival order.
    std::vector<ReceivedRequest> requests() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace flowgate::test
